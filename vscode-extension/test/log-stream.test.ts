import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppState, LogFrame } from '@codeyard/common/agent/protocol';
import { WebSocketServer } from 'ws';
import { AgentClient } from '@codeyard/common/agent/client';
import { LogStream, waitForPort } from '../src/log-stream.js';

/** A stand-in for the repl agent's control socket: /app, /app/start, /sync and /app/logs. */
function fakeAgent(socketPath: string): { server: http.Server; state: AppState; backlog: LogFrame[]; close(): void } {
  const fake = { state: { running: false } as AppState, backlog: [] as LogFrame[], server: undefined as unknown as http.Server, close: () => undefined as void };
  fake.server = http.createServer((req, res) => {
    const send = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const route = `${req.method} ${req.url}`;
    if (route === 'GET /app') return send(200, fake.state);
    if (route === 'POST /app/start') {
      fake.state = { running: true, pid: 1, startedAt: new Date().toISOString() };
      return send(200, fake.state);
    }
    if (route === 'GET /sync') return send(200, { state: 'synced', pending: 0, version: 1 });
    send(404, { error: { code: 'NOT_FOUND', message: `no route ${route}` } });
  });
  const wss = new WebSocketServer({ noServer: true });
  fake.server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({ type: 'state', app: fake.state }));
      for (const frame of fake.backlog) ws.send(JSON.stringify(frame));
    });
  });
  // As when the agent's process ends: every connection goes, WebSockets too.
  fake.close = () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    fake.server.close();
    fake.server.closeAllConnections();
  };
  fs.rmSync(socketPath, { force: true });
  fake.server.listen(socketPath);
  return fake;
}

describe('talking to the agent over its unix socket', () => {
  let dir: string;
  let socket: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-ext-'));
    socket = path.join(dir, 'agent.sock');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads state and sync, starts the app, and reports agent errors', async () => {
    const fake = fakeAgent(socket);
    await new Promise((r) => fake.server.once('listening', r));
    try {
      const client = new AgentClient(socket);
      assert.deepEqual(await client.app(), { running: false });
      assert.equal((await client.startApp()).running, true);
      assert.equal((await client.sync()).state, 'synced');
      // The extension hides its save item on a 404: the status must come through with the agent's message.
      await assert.rejects(client.info(), (err: Error & { status?: number }) => err.status === 404 && /no route/.test(err.message));
    } finally {
      fake.close();
    }
  });

  it('streams frames and reconnects when the agent comes back', async () => {
    const frames: LogFrame[] = [];
    const connections: boolean[] = [];
    const stream = new LogStream(socket, { frame: (f) => frames.push(f), connection: (c) => connections.push(c) }, { initialMs: 20, maxMs: 100 });
    // Started before the agent listens: it keeps trying.
    stream.start();
    await new Promise((r) => setTimeout(r, 100));
    let fake = fakeAgent(socket);
    try {
    fake.backlog.push({ type: 'output', stream: 'stdout', data: 'hello\n', at: '2025-01-01T00:00:00.000Z' });
    const until = async (check: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(check());
    };
    await until(() => frames.length === 2);
    assert.deepEqual(frames.map((f) => f.type), ['state', 'output']);
    assert.equal(stream.connected, true);
    // The agent restarts: the stream notices, and is back with the new agent's state.
    fake.close();
    await until(() => connections.includes(false));
    fake = fakeAgent(socket);
    fake.state = { running: true, startedAt: '2025-01-01T00:00:05.000Z' };
    await until(() => frames.length === 3);
    assert.deepEqual(frames[2], { type: 'state', app: fake.state });
    assert.deepEqual(connections, [true, false, true]);
    } finally {
      stream.close();
      fake.close();
    }
  });

  it('waits for the app to listen on its port, within a deadline, and sends it nothing', async () => {
    assert.equal(await waitForPort(9, { timeoutMs: 300, intervalMs: 50 }), false);
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      assert.equal(await waitForPort(port, { timeoutMs: 2000, intervalMs: 50 }), true);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(requests, 0, 'no request reached the app: its log and counters stay as they were');
    } finally {
      server.close();
    }
  });
});
