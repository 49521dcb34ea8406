import net from 'node:net';
import { connectTarget } from '@codeyard/common/agent/connect';
import type { Target } from '@codeyard/common/agent/protocol';

/**
 * The proxy's hot path for app and IDE traffic. Node's HTTP server plus an HTTP client per
 * request (what http-proxy does) costs about 4 ms per request under load here, a fifth of
 * nginx's throughput. This path parses only request heads, from the raw client socket, checks
 * and rewrites each one (host, access, our cookie and forwarding headers), and copies bodies
 * and every response byte as they are, over one upstream connection per client connection.
 *
 * It takes a connection only when its first request is an ordinary one it can check
 * (see ReplProxy.fastAccess); everything else (sign-in, starting pages, HTTP/1.0, odd framing)
 * goes to the full HTTP server. Access is decided for every request, not once per connection:
 * each later head waits for its own check (the client is paused meanwhile), and one that fails
 * is never forwarded: the connection is closed, and the browser retries it on a new one, which
 * the full server then answers.
 */

export const MAX_HEAD_BYTES = 16 * 1024;

export interface RequestHead {
  method: string;
  target: string;
  version: string;
  /** Header lines as sent (name casing kept), in order. */
  headers: Array<[string, string]>;
  /** Bytes of the head, final blank line included. */
  length: number;
}

/** The first value of a header (names compared case-insensitively). */
export function headerValue(head: RequestHead, name: string): string | undefined {
  for (const [n, v] of head.headers) if (n.length === name.length && n.toLowerCase() === name) return v;
  return undefined;
}

function headerCount(head: RequestHead, name: string): number {
  let count = 0;
  for (const [n] of head.headers) if (n.toLowerCase() === name) count++;
  return count;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a request head at the start of `buffer`. `incomplete`: more bytes needed; `invalid`:
 * not something this path forwards (the full server decides what to answer).
 */
export function parseRequestHead(buffer: Buffer): RequestHead | 'incomplete' | 'invalid' {
  const end = buffer.indexOf('\r\n\r\n');
  if (end === -1) return buffer.length > MAX_HEAD_BYTES ? 'invalid' : 'incomplete';
  if (end + 4 > MAX_HEAD_BYTES) return 'invalid';
  const text = buffer.toString('latin1', 0, end);
  // A bare CR or LF, or a NUL, inside a head: let Node's strict parser answer it.
  if (/[\r\n\0]/.test(text.split('\r\n').join(''))) return 'invalid';
  const lines = text.split('\r\n');
  const request = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0]!);
  if (!request) return 'invalid';
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    // Folded (obsolete) lines and names with spaces are refused: smuggling starts there.
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return 'invalid';
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { method: request[1]!, target: request[2]!, version: request[3]!, headers, length: end + 4 };
}

/** How the body after a head is framed; `undefined` when the head's framing is not plain. */
export function bodyFraming(head: RequestHead): { kind: 'none' } | { kind: 'length'; bytes: number } | { kind: 'chunked' } | undefined {
  const te = headerCount(head, 'transfer-encoding');
  const cl = headerCount(head, 'content-length');
  if (te && cl) return undefined; // both: the classic smuggling shape
  if (te) return te === 1 && headerValue(head, 'transfer-encoding')!.toLowerCase() === 'chunked' ? { kind: 'chunked' } : undefined;
  if (cl) {
    const value = headerValue(head, 'content-length')!;
    if (cl !== 1 || !/^\d{1,15}$/.test(value)) return undefined;
    return { kind: 'length', bytes: Number(value) };
  }
  return { kind: 'none' };
}

/** What the repl proxy decided about a connection's requests. */
export interface FastAccess {
  target: Target;
  /**
   * The request head as the upstream gets it, or undefined when this request may not pass;
   * a promise when the answer needs a lookup (nothing after the head is read until it settles).
   */
  rewrite(head: RequestHead): Buffer | undefined | Promise<Buffer | undefined>;
  /** Called when the upstream cannot be reached before any answer was sent. */
  unreachable(client: net.Socket): void;
}

type Framing = NonNullable<ReturnType<typeof bodyFraming>>;

/**
 * Runs a client connection whose first head (at the start of `buffered`) was accepted: from now
 * on heads are parsed and rewritten one by one, bodies copied, responses piped back raw.
 */
export function spliceConnection(client: net.Socket, buffered: Buffer, access: FastAccess, idleMs: number): void {
  const upstream = connectTarget(access.target);
  upstream.setNoDelay(true);
  client.setNoDelay(true);
  let answered = false;
  let pending = buffered;
  let state: { phase: 'raw' } | { phase: 'head' } | { phase: 'deciding' } | { phase: 'body'; left: number; then: 'head' | 'chunk-end' } | { phase: 'chunk-size' } | { phase: 'chunk-end' } | { phase: 'trailers' } = { phase: 'head' };

  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  let blocked = false;
  const send = (data: Buffer): void => {
    if (data.length && !upstream.write(data)) {
      blocked = true;
      client.pause();
      upstream.once('drain', () => {
        blocked = false;
        if (state.phase !== 'deciding') client.resume();
      });
    }
  };
  const startBody = (framing: Framing): void => {
    if (framing.kind === 'length' && framing.bytes > 0) state = { phase: 'body', left: framing.bytes, then: 'head' };
    else if (framing.kind === 'chunked') state = { phase: 'chunk-size' };
    else state = { phase: 'head' };
  };

  /** Sends an accepted head and moves on to what follows it. */
  const accept = (head: RequestHead, framing: Framing, rewritten: Buffer): void => {
    send(rewritten);
    pending = pending.subarray(head.length);
    // An accepted upgrade (WebSocket): from here on both directions are raw bytes.
    if (headerValue(head, 'upgrade') !== undefined) state = { phase: 'raw' };
    else startBody(framing);
  };

  /** Consumes as much of `pending` as it can; false when the connection must end. */
  const consume = (): boolean => {
    for (;;) {
      switch (state.phase) {
        case 'head': {
          if (pending.length === 0) return true;
          const head = parseRequestHead(pending);
          if (head === 'incomplete') return true;
          if (head === 'invalid') return false;
          const framing = bodyFraming(head);
          if (!framing) return false;
          const rewritten = access.rewrite(head);
          if (rewritten instanceof Promise) {
            // Hold everything after this head until its own access check is done.
            state = { phase: 'deciding' };
            client.pause();
            rewritten.then(
              (bytes) => {
                if (client.destroyed) return;
                if (!bytes) return close();
                accept(head, framing, bytes);
                if (!consume()) return close();
                if (state.phase !== 'raw' && !blocked) client.resume();
              },
              () => close(),
            );
            return true;
          }
          if (!rewritten) return false;
          accept(head, framing, rewritten);
          break;
        }
        case 'deciding':
          // Bytes that came meanwhile wait in `pending` for the decision.
          return true;
        case 'raw': {
          // Upgraded: nothing more to read in the client's bytes; let the streams move them.
          send(pending);
          pending = Buffer.alloc(0);
          client.removeListener('data', onClientData);
          client.pipe(upstream, { end: true });
          return true;
        }
        case 'body': {
          // Content-Length bytes, or one chunk's data: copied as they come.
          if (pending.length === 0) return true;
          const take = Math.min(state.left, pending.length);
          send(pending.subarray(0, take));
          pending = pending.subarray(take);
          state = state.left > take ? { ...state, left: state.left - take } : state.then === 'chunk-end' ? { phase: 'chunk-end' } : { phase: 'head' };
          break;
        }
        case 'chunk-end': {
          if (pending.length < 2) return true;
          if (pending[0] !== 0x0d || pending[1] !== 0x0a) return false;
          send(pending.subarray(0, 2));
          pending = pending.subarray(2);
          state = { phase: 'chunk-size' };
          break;
        }
        case 'chunk-size': {
          const eol = pending.indexOf('\r\n');
          if (eol === -1) return pending.length < 1024;
          const match = /^([0-9a-fA-F]{1,12})(;[^\r\n]*)?$/.exec(pending.toString('latin1', 0, eol));
          if (!match) return false;
          const size = parseInt(match[1]!, 16);
          send(pending.subarray(0, eol + 2));
          pending = pending.subarray(eol + 2);
          state = size === 0 ? { phase: 'trailers' } : { phase: 'body', left: size, then: 'chunk-end' };
          break;
        }
        case 'trailers': {
          const eol = pending.indexOf('\r\n');
          if (eol === -1) return pending.length < MAX_HEAD_BYTES;
          send(pending.subarray(0, eol + 2));
          pending = pending.subarray(eol + 2);
          if (eol === 0) state = { phase: 'head' };
          break;
        }
      }
    }
  };

  upstream.on('data', (chunk: Buffer) => {
    answered = true;
    if (!client.write(chunk)) {
      upstream.pause();
      client.once('drain', () => upstream.resume());
    }
  });
  upstream.on('end', () => {
    // Ended before a byte of answer: the relay in front of the repl (its agent's gate) took the
    // connection but nothing listens on the port behind it. Said as the full server says it (502
    // and what to do), not as an empty reply, which a browser shows as its own error page.
    if (!answered && !client.destroyed) return access.unreachable(client);
    client.end();
  });
  upstream.on('error', () => {
    if (!answered && !client.destroyed) {
      access.unreachable(client);
      upstream.destroy();
      return;
    }
    close();
  });
  const onClientData = (chunk: Buffer): void => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    if (!consume()) close();
  };
  client.on('data', onClientData);
  client.on('end', () => {
    if (state.phase !== 'raw') upstream.end();
  });
  client.on('error', close);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => {
    if (!client.writableEnded) client.end();
  });
  client.setTimeout(idleMs, close);
  if (!consume()) close();
  client.resume();
}
