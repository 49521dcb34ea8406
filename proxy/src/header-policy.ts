import type http from 'node:http';
import { HOST_COOKIE } from './access-policy.js';
import { withoutCookies } from './cookies.js';

/**
 * What a repl sees of a request's headers: no proxy credentials (our host cookie, the client's
 * Authorization), and forwarding headers set here, never taken from the client. The one policy
 * both ways of forwarding use: the full server's (http-proxy-3, on Node's parsed headers) and
 * the fast path's (raw heads).
 */

/** Headers a repl never sees: our credentials, and forwarding headers we set ourselves. */
const DROPPED_HEADERS = new Set(['authorization', 'proxy-authorization', 'forwarded', 'x-real-ip']);

/** What the proxy knows of a request that the repl is told. */
export interface Forwarding {
  /** The client's address as this proxy saw it. */
  clientAddress: string;
  /** The public scheme (`http` or `https`). */
  scheme: string;
  /** The Host header the client sent. */
  host: string;
}

/** A client header as it goes upstream: undefined when it does not go at all. */
export function upstreamValue(name: string, value: string): string | undefined {
  const lower = name.toLowerCase();
  if (DROPPED_HEADERS.has(lower) || lower.startsWith('x-forwarded-')) return undefined;
  // The repl's own cookies pass; ours never does, in any copy.
  if (lower === 'cookie') return withoutCookies(value, [HOST_COOKIE]);
  return value;
}

/** The forwarding headers the proxy sets, in the order they are sent. */
export function forwardingHeaders(forwarding: Forwarding): Array<[string, string]> {
  return [
    ['x-forwarded-for', forwarding.clientAddress],
    ['x-forwarded-proto', forwarding.scheme],
    ['x-forwarded-host', forwarding.host],
  ];
}

/** Rewrites Node's parsed request headers in place for the upstream (the full server's path). */
export function scrubIncomingHeaders(headers: http.IncomingHttpHeaders, forwarding: Forwarding): void {
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    const kept = Array.isArray(value) ? value.map((v) => upstreamValue(name, v)).filter((v) => v !== undefined) : upstreamValue(name, value);
    if (kept === undefined || (Array.isArray(kept) && kept.length === 0)) delete headers[name];
    else headers[name] = kept;
  }
  for (const [name, value] of forwardingHeaders(forwarding)) headers[name] = value;
}

/** A raw request head as the upstream gets it (the fast path's): header names keep their casing. */
export function upstreamHead(head: { method: string; target: string; version: string; headers: Array<[string, string]> }, forwarding: Forwarding): Buffer {
  let out = `${head.method} ${head.target} ${head.version}\r\n`;
  for (const [name, value] of head.headers) {
    const kept = upstreamValue(name, value);
    if (kept !== undefined) out += `${name}: ${kept}\r\n`;
  }
  for (const [name, value] of forwardingHeaders(forwarding)) out += `${name}: ${value}\r\n`;
  return Buffer.from(`${out}\r\n`, 'latin1');
}
