import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Repl } from '@codeyard/common/api/models';

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (req: SeenRequest, res: http.ServerResponse) => void | Promise<void>;

/**
 * A test double of the Codeyard portal's HTTP API: a real HTTP server on 127.0.0.1 (port 0)
 * whose routes each test scripts (`on('GET /api/repls', …)`), recording every request. Not
 * the portal: the CLI's end-to-end test runs against a real one (portal/test/cli.integration.test.ts).
 */
export class ApiDouble {
  readonly requests: SeenRequest[] = [];
  readonly #routes = new Map<string, Handler>();
  readonly #server = http.createServer((req, res) => void this.#handle(req, res));
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Answers `METHOD /path` (the path without the query) with `handler`. */
  on(route: string, handler: Handler): this {
    this.#routes.set(route, handler);
    return this;
  }

  /** Answers `METHOD /path` with a JSON body and status. */
  json(route: string, status: number, body: unknown, headers: Record<string, string> = {}): this {
    return this.on(route, (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  /** Answers with the product's error shape. */
  error(route: string, status: number, code: string, message: string, headers: Record<string, string> = {}): this {
    return this.json(route, status, { error: { code, message } }, headers);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?')[0]!;
    const seen: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
    this.requests.push(seen);
    const handler = this.#routes.get(`${seen.method} ${path}`);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `the double has no ${seen.method} ${path}` } }));
      return;
    }
    await handler(seen, res);
  }
}

/** A repl as GET /api/repls/:id answers it, for the double to hand out. */
export function replOf(id: string, name: string, extra: Partial<Repl> = {}): Repl {
  return {
    id,
    name,
    stack: 'node',
    status: 'stopped',
    app: { running: false },
    sync: { state: 'stored', pending: 0 },
    ideUrl: `http://${id}.localhost:8080`,
    previewUrl: `http://${id}-3000.localhost:8080`,
    port: 3000,
    ports: [],
    createdAt: new Date(Date.now() - 5 * 60_000).toISOString(),
    alwaysOn: false,
    ...extra,
  };
}
