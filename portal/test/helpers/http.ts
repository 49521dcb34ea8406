import http from 'node:http';
import net from 'node:net';
import { WebSocket } from 'ws';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body's bytes (archives, binary files). */
  raw: Buffer;
  json<T = any>(): T;
}

/**
 * One HTTP request to the server on 127.0.0.1:port with any Host header: `<id>.localhost`
 * names reach the same server without depending on the resolver.
 */
/**
 * Kept-alive connections by Host header, as a browser pools them by origin. Every host here is
 * reached at 127.0.0.1, so one shared pool would send a portal request on a connection the
 * proxy's fast path has spliced to a repl's app; the proxy closes such a connection instead of
 * forwarding it (a browser retries; Node's client reports "socket hang up").
 */
const agents = new Map<string, http.Agent>();
function agentFor(host: string): http.Agent {
  let agent = agents.get(host);
  if (!agent) agents.set(host, (agent = new http.Agent({ keepAlive: true })));
  return agent;
}

export function request(port: number, options: { host?: string; path: string; method?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { host: options.host ?? `localhost:${port}`, ...options.headers };
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const agent = agentFor(`${String(headers.host)}|${port}`);
    const req = http.request({ host: '127.0.0.1', port, agent, path: options.path, method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = raw.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, raw, json: () => JSON.parse(body) });
      });
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`timeout: ${options.method ?? 'GET'} ${options.host}${options.path}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Opens a WebSocket to 127.0.0.1:port with a chosen Host; resolves with the handshake outcome. */
export function openWebSocket(port: number, options: { host: string; path: string; headers?: Record<string, string> }): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${options.path}`, { headers: { host: options.host, ...options.headers }, handshakeTimeout: 30_000 });
    ws.once('upgrade', (res) => resolve({ status: res.statusCode ?? 101, ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('error', () => resolve({ status: 0 }));
  });
}

/** Polls `check` until it returns a truthy value; bounded in time. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
