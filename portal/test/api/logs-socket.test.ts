import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { freePort, request } from '../helpers/http.js';

/** A WebSocket handshake to the portal: its status, and the error code of a refusal. */
function handshake(port: number, urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; code?: string; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${urlPath}`, { headers: { host: `localhost:${port}`, ...headers }, handshakeTimeout: 10_000 });
    ws.once('upgrade', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        ws.terminate();
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, code: body ? (JSON.parse(body) as { error: { code: string } }).error.code : undefined });
      });
    });
    ws.once('error', () => resolve({ status: 0 }));
  });
}

/**
 * The app's log stream is a route behind the API's auth hook: with the memory runtime double
 * (no sandboxes; its running repls' agent is a socket this test serves), each refusal is checked before any socket is upgraded, and a running repl's
 * stream is the agent's.
 */
describe('the logs WebSocket route', () => {
  let codeyard: Codeyard<MemoryRuntime>;
  let port: number;
  let origin: string;
  let alice: string;
  let bob: string;
  let replId: string;
  // The store is in memory; the data folder stays empty.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-api-'));
  const agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-agent-'));
  const agentSocket = path.join(agentDir, 'agent.sock');
  const agentTarget = { kind: 'unix' as const, socketPath: agentSocket };
  const agent = new WebSocketServer({ noServer: true });
  const agentServer = http.createServer();

  before(async () => {
    // The agent's side of the stream: one log frame to whoever connects to /app/logs.
    agentServer.on('upgrade', (req, socket, head) => {
      if (req.url !== '/app/logs') return void socket.destroy();
      agent.handleUpgrade(req, socket, head, (client) => client.send('listening on 3000'));
    });
    await new Promise<void>((resolve) => agentServer.listen(agentSocket, resolve));

    port = await freePort();
    const config = loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), CODEYARD_DATA: dataDir, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'anonymous' });
    codeyard = await createCodeyard(config, { runtime: () => new MemoryRuntime({ endpoints: () => ({ ide: agentTarget, agent: agentTarget, port: () => agentTarget }) }), store: new MemoryStore(), signingKey: Buffer.alloc(32, 1), log: pino({ level: 'silent' }) });
    await codeyard.listen(port, '127.0.0.1');
    origin = codeyard.portal.origin;
    const session = async () => (await request(port, { method: 'POST', path: '/api/session' })).json<{ token: string }>().token;
    alice = await session();
    bob = await session();
    const created = await request(port, { method: 'POST', path: '/api/repls', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' }, body: JSON.stringify({ stack: 'node' }) });
    assert.equal(created.status, 201, created.body);
    replId = created.json<{ id: string }>().id;
  });

  after(async () => {
    await codeyard.close();
    agent.close();
    agentServer.close();
    for (const dir of [dataDir, agentDir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  const logs = () => `/api/repls/${replId}/app/logs`;

  it('refuses a caller without a session (401) or with an unknown token', async () => {
    assert.deepEqual(await handshake(port, logs()), { status: 401, code: 'UNAUTHENTICATED' });
    assert.deepEqual(await handshake(port, logs(), { authorization: 'Bearer not-a-token' }), { status: 401, code: 'UNAUTHENTICATED' });
    assert.deepEqual(await handshake(port, logs(), { cookie: 'codeyard_token=not-a-token', origin }), { status: 401, code: 'UNAUTHENTICATED' });
  });

  it("refuses the portal cookie from another origin's page, or without an Origin (403)", async () => {
    assert.deepEqual(await handshake(port, logs(), { cookie: `codeyard_token=${alice}`, origin: 'http://evil.example.com' }), { status: 403, code: 'FORBIDDEN' });
    assert.deepEqual(await handshake(port, logs(), { cookie: `codeyard_token=${alice}`, origin: `http://${replId}-3000.localhost:${port}` }), { status: 403, code: 'FORBIDDEN' });
    assert.deepEqual(await handshake(port, logs(), { cookie: `codeyard_token=${alice}` }), { status: 403, code: 'FORBIDDEN' });
  });

  it('refuses two session cookies (one tossed by another host) with what to do (400)', async () => {
    assert.deepEqual(await handshake(port, logs(), { cookie: `codeyard_token=${alice}; codeyard_token=${bob}`, origin }), { status: 400, code: 'COOKIE_CONFLICT' });
  });

  it("answers 404 for another account's repl and for a repl that does not exist", async () => {
    assert.deepEqual(await handshake(port, logs(), { authorization: `Bearer ${bob}` }), { status: 404, code: 'NOT_FOUND' });
    assert.deepEqual(await handshake(port, '/api/repls/abcdefghijkl/app/logs', { authorization: `Bearer ${alice}` }), { status: 404, code: 'NOT_FOUND' });
  });

  it('answers 409 while the repl is not running', async () => {
    assert.deepEqual(await handshake(port, logs(), { authorization: `Bearer ${alice}` }), { status: 409, code: 'NOT_RUNNING' });
  });

  it("streams a running repl's log to its owner, by token or by cookie from the portal's pages", async () => {
    await codeyard.runtime.start((await codeyard.portal.repls.specFor(replId))!);
    const callers: Record<string, string>[] = [{ authorization: `Bearer ${alice}` }, { cookie: `codeyard_token=${alice}`, origin }];
    for (const headers of callers) {
      const opened = await handshake(port, logs(), headers);
      assert.equal(opened.status, 101);
      const frame = await new Promise<string>((resolve) => opened.ws!.once('message', (data) => resolve(data.toString())));
      assert.equal(frame, 'listening on 3000');
      opened.ws!.terminate();
    }
    // Still nobody else's.
    assert.deepEqual(await handshake(port, logs(), { authorization: `Bearer ${bob}` }), { status: 404, code: 'NOT_FOUND' });
  });
});
