import { isReplId } from './repl-id.js';
/**
 * Host-based routing names. A repl's IDE lives at `<id>.<domain>` and the app listening on
 * port P inside it at `<id>-<P>.<domain>` (or `<id>-<P>.<previewDomain>` when previews have a
 * domain of their own). Each name is a single DNS label under the domain, so one wildcard
 * certificate covers them all. parseHost and the format functions round-trip.
 */

export interface DomainConfig {
  /** The portal's host and the parent of every IDE host, e.g. `localhost` or `codeyard.example.com`. */
  domain: string;
  /** Parent of preview hosts when it differs from `domain`. */
  previewDomain?: string;
}

export type HostRoute =
  | { kind: 'portal' }
  | { kind: 'ide'; replId: string }
  | { kind: 'preview'; replId: string; port: number }
  /** Under one of our domains, but no such name (a bad label, a port out of range). */
  | { kind: 'unknown' }
  /** Not under any domain we serve. */
  | { kind: 'foreign' };

/** Strips the `:port` from a Host header value, handling `[v6]:port`; lowercases. */
export function hostnameOf(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.lastIndexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function labelUnder(hostname: string, domain: string): string | undefined {
  const suffix = `.${domain}`;
  if (!hostname.endsWith(suffix)) return undefined;
  return hostname.slice(0, -suffix.length);
}

function parseLabel(label: string, allowIde: boolean): HostRoute {
  if (label.includes('.')) return { kind: 'unknown' };
  const dash = label.indexOf('-');
  if (dash === -1) {
    return allowIde && isReplId(label) ? { kind: 'ide', replId: label } : { kind: 'unknown' };
  }
  const replId = label.slice(0, dash);
  const portText = label.slice(dash + 1);
  if (!isReplId(replId) || !/^[1-9][0-9]{0,4}$/.test(portText)) return { kind: 'unknown' };
  const port = Number(portText);
  if (port > 65535) return { kind: 'unknown' };
  return { kind: 'preview', replId, port };
}

/** Classifies a Host header. */
export function parseHost(hostHeader: string | undefined, config: DomainConfig): HostRoute {
  if (!hostHeader) return { kind: 'foreign' };
  const hostname = hostnameOf(hostHeader);
  const domain = config.domain.toLowerCase();
  const previewDomain = config.previewDomain?.toLowerCase();
  if (hostname === domain) return { kind: 'portal' };
  if (previewDomain && previewDomain !== domain) {
    const previewLabel = labelUnder(hostname, previewDomain);
    if (previewLabel !== undefined) return parseLabel(previewLabel, false);
  }
  const label = labelUnder(hostname, domain);
  if (label === undefined) return { kind: 'foreign' };
  // With a separate preview domain, previews are never served on the IDE domain.
  const route = parseLabel(label, true);
  if (route.kind === 'preview' && previewDomain && previewDomain !== domain) return { kind: 'unknown' };
  return route;
}

export function ideHostname(replId: string, config: DomainConfig): string {
  return `${replId}.${config.domain}`;
}

export function previewHostname(replId: string, port: number, config: DomainConfig): string {
  return `${replId}-${port}.${config.previewDomain ?? config.domain}`;
}

export interface PublicOrigin extends DomainConfig {
  /** `http` or `https`: what browsers use. */
  scheme: string;
  /** The port browsers use, or undefined for the scheme's default. */
  port?: number;
}

/** `scheme://hostname[:port]` for a hostname under the public origin. */
export function originFor(hostname: string, pub: PublicOrigin): string {
  const defaultPort = pub.scheme === 'https' ? 443 : 80;
  const portPart = pub.port && pub.port !== defaultPort ? `:${pub.port}` : '';
  return `${pub.scheme}://${hostname}${portPart}`;
}

/**
 * A redirect target taken from a query string (`next`), if it stays on the same host: a path
 * starting with one `/`. Browsers drop tab, CR and LF from URLs and read `\` as `/`, so
 * `/\t/evil.com` and `/\evil.com` would leave the site as `//evil.com`: any control character
 * or backslash refuses the value outright. The answer is re-serialized by the URL parser, so
 * it is plain ASCII and always safe in a Location header. Undefined when it is not acceptable.
 */
export function sameHostPath(value: unknown): string | undefined {
  // A repeated query parameter arrives as an array: not a path either.
  if (typeof value !== 'string' || value.length > 4096 || !value.startsWith('/') || value.startsWith('//')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return undefined;
  const base = 'http://same-host.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return undefined;
  }
  if (url.origin !== base) return undefined;
  return `${url.pathname}${url.search}${url.hash}`;
}
