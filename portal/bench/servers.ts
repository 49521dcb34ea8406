import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import type { Target } from '@codeyard/common/agent/protocol';
import { createCodeyard } from '../src/codeyard.js';
import { loadConfig } from '../src/config.js';
import { MemoryRuntime } from '../src/runtime/memory-runtime.js';
import { MemoryStore } from '../src/store/memory-store.js';

/**
 * Processes the proxy benchmark runs apart from the harness (so each has its own CPU time and
 * memory to measure): `upstream <port>`, a tiny app (`/` small, `/big` 1 MB, WebSocket echo);
 * `proxy <port> <upstreamPort>`, Codeyard in front of it, the app as a repl's public preview
 * (it prints `ready <preview host>`).
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
  // The portal as `npm start` runs it (createCodeyard: front server, fast path, proxy, API), with
  // the memory runtime double, whose running repls are the upstream app: one running repl of the
  // `bench` account, its app port public. Prints the preview host to send requests to.
  const upstream: Target = { kind: 'tcp', host: '127.0.0.1', port: Number(upstreamArg) };
  // Records in memory: the data folder only has to exist.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-bench-proxy-'));
  const config = loadConfig({ PATH: process.env.PATH, PORT: String(port), CODEYARD_DATA: dataDir, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'anonymous', CODEYARD_PROXY_FAST_PATH: process.env.CODEYARD_PROXY_FAST_PATH ?? 'on' });
  const codeyard = await createCodeyard(config, {
    runtime: () => new MemoryRuntime({ endpoints: () => ({ ide: upstream, agent: upstream, port: () => upstream }) }),
    store: new MemoryStore(),
    signingKey: Buffer.alloc(32, 7),
    log: pino({ level: 'error' }),
  });
  const repl = await codeyard.portal.repls.create('bench', 'node');
  await codeyard.runtime.start(codeyard.portal.repls.specOf(repl));
  await codeyard.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => {
    void codeyard.close().finally(() => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
  process.stdout.write(`ready ${repl.id}-${repl.manifest.port}.localhost:${port}\n`);
} else {
  process.stderr.write('usage: servers.js upstream <port> | proxy <port> <upstreamPort>\n');
  process.exit(2);
}
