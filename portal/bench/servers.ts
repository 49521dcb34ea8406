import http from 'node:http';
import { WebSocketServer } from 'ws';
import { parseHost, type PublicOrigin } from '@codeyard/common/hostnames';
import { GrantSigner } from '@codeyard/common/tickets';
import { headerValue } from '@codeyard/proxy/fast-path';
import { createFrontServer } from '@codeyard/proxy/front';
import { ReplProxy } from '@codeyard/proxy/repl-proxy';

/**
 * Processes the proxy benchmark runs apart from the harness (so each has its own CPU time and
 * memory to measure): `upstream <port>`, a tiny app (`/` small, `/big` 1 MB, WebSocket echo);
 * `proxy <port> <upstreamPort>`, Codeyard's repl proxy in front of it, as a public preview.
 */
const [mode, portArg, upstreamArg] = process.argv.slice(2);
const port = Number(portArg);
const BIG = Buffer.alloc(1024 * 1024, 'x');

function ready(server: http.Server): void {
  server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
}

if (mode === 'upstream') {
  const server = http.createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
      return void res.end(BIG);
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
    res.end('ok\n');
  });
  server.keepAliveTimeout = 60_000;
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  ready(server);
} else if (mode === 'proxy') {
  const origin: PublicOrigin = { scheme: 'http', domain: 'localhost', previewDomain: 'localhost', port };
  const target = { kind: 'tcp' as const, host: '127.0.0.1', port: Number(upstreamArg) };
  const proxy = new ReplProxy({
    backend: {
      lookup: async () => ({ owner: 'bench', status: 'running', port: () => target, isPublic: () => true }),
      wake: () => undefined,
    },
    signer: new GrantSigner(Buffer.alloc(32, 7)),
    publicOrigin: origin,
    sessionTtlMs: 3600_000,
  });
  const route = (req: http.IncomingMessage) => {
    const r = parseHost(req.headers.host, origin);
    return r.kind === 'preview' ? r : undefined;
  };
  const server = http.createServer((req, res) => {
    const r = route(req);
    if (!r) return void res.writeHead(404).end();
    void proxy.handleRequest(req, res, r);
  });
  server.on('upgrade', (req, socket, head) => {
    const r = route(req);
    if (!r) return void socket.destroy();
    void proxy.handleUpgrade(req, socket, head, r);
  });
  server.keepAliveTimeout = 60_000;
  // As the portal listens: the front server, fast path first, this HTTP server behind it.
  const front = createFrontServer({
    http: server,
    decide: async (head, socket) => {
      if (process.env.CODEYARD_PROXY_FAST_PATH === 'off') return undefined;
      const r = parseHost(headerValue(head, 'host'), origin);
      return r.kind === 'preview' ? proxy.fastAccess(head, r, socket) : undefined;
    },
  });
  front.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
} else {
  process.stderr.write('usage: servers.js upstream <port> | proxy <port> <upstreamPort>\n');
  process.exit(2);
}
