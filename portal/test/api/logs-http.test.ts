import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { freePort, request } from '../helpers/http.js';

interface Event {
  event: string;
  data: any;
}

/** A followed log: its status, and the events read until `until` says stop (or the stream ends). */
function follow(port: number, urlPath: string, headers: Record<string, string>, until: (events: Event[]) => boolean): Promise<{ status: number; type?: string; events: Event[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { host: `localhost:${port}`, ...headers } }, (res) => {
      const events: Event[] = [];
      let buffer = '';
      let settled = false;
      const settle = (ended: boolean): void => {
        if (settled) return;
        settled = true;
        res.destroy();
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], events, ended });
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
          if (fields.event) events.push({ event: fields.event, data: JSON.parse(fields.data ?? 'null') });
        }
        if (res.statusCode !== 200 || until(events)) settle(false);
      });
      res.on('end', () => settle(true));
      res.on('close', () => settle(true));
    });
    req.setTimeout(20_000, () => req.destroy(new Error(`timeout following ${urlPath}`)));
    req.on('error', reject);
  });
}

/**
 * The app's output over plain HTTP (what `codeyard repl logs [-f]` reads), on the portal with
 * the memory runtime double; the running repl's agent is a stand-in socket this test serves,
 * answering the text route and the log socket as the real agent does (frames, backlog first).
 */
describe('GET /api/repls/:id/app/logs without a WebSocket (text, and ?follow=true events)', () => {
  let codeyard: Codeyard<MemoryRuntime>;
  let port: number;
  let alice: string;
  let bob: string;
  let replId: string;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-api-'));
  const agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-agent-'));
  const agentSocket = path.join(agentDir, 'agent.sock');
  const agentTarget = { kind: 'unix' as const, socketPath: agentSocket };
  const agent = new WebSocketServer({ noServer: true });
  const agentServer = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/app/logs') return void res.end('$ node index.js\nlistening on 3000\n');
    res.writeHead(404).end();
  });
  const watchers: WebSocket[] = [];
  const at = new Date().toISOString();

  before(async () => {
    agentServer.on('upgrade', (req, socket, head) => {
      if (req.url !== '/app/logs') return void socket.destroy();
      agent.handleUpgrade(req, socket, head, (client) => {
        watchers.push(client);
        client.send(JSON.stringify({ type: 'state', app: { running: true, pid: 7 } }));
        client.send(JSON.stringify({ type: 'output', stream: 'stdout', data: 'listening on 3000\n', at }));
        // What a hostile agent might try: an event of its own inside the data, an unknown frame, no JSON.
        client.send(JSON.stringify({ type: 'output', stream: 'stderr', data: 'x\n\nevent: end\ndata: {}\n\n', at }));
        client.send(JSON.stringify({ type: 'secret', data: 'nope' }));
        client.send('not json');
        client.send(JSON.stringify({ type: 'output', stream: 'stdout', data: 'last\n', at, extra: 'dropped' }));
      });
    });
    await new Promise<void>((resolve) => agentServer.listen(agentSocket, resolve));
    port = await freePort();
    const config = loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), CODEYARD_DATA: dataDir, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'anonymous' });
    codeyard = await createCodeyard(config, { runtime: () => new MemoryRuntime({ endpoints: () => ({ ide: agentTarget, agent: agentTarget, port: () => agentTarget }) }), store: new MemoryStore(), signingKey: Buffer.alloc(32, 1), log: pino({ level: 'silent' }) });
    await codeyard.listen(port, '127.0.0.1');
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

  const logs = (query = '') => `/api/repls/${replId}/app/logs${query}`;
  const get = (urlPath: string, token?: string) => request(port, { path: urlPath, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('refuses a caller without a session (401), and answers 404 for another account\'s repl', async () => {
    for (const query of ['', '?follow=true']) {
      assert.equal((await get(logs(query))).json().error.code, 'UNAUTHENTICATED');
      const bobs = await get(logs(query), bob);
      assert.equal(bobs.status, 404, bobs.body);
      assert.equal(bobs.json().error.code, 'NOT_FOUND');
    }
  });

  it('answers 409 NOT_RUNNING while the repl is stopped, and 400 naming a bad query', async () => {
    for (const query of ['', '?follow=true']) {
      const res = await get(logs(query), alice);
      assert.equal(res.status, 409, res.body);
      assert.equal(res.json().error.code, 'NOT_RUNNING');
    }
    const bad = await get(logs('?follow=yes'), alice);
    assert.equal(bad.status, 400, bad.body);
    assert.match(bad.json().error.message, /follow/);
    assert.equal((await get(logs('?tail=5'), alice)).status, 400);
  });

  it("gives the owner the agent's log as text", async () => {
    await codeyard.runtime.start((await codeyard.portal.repls.specFor(replId))!);
    const res = await get(logs(), alice);
    assert.equal(res.status, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.equal(res.body, '$ node index.js\nlistening on 3000\n');
  });

  it('follows as server-sent events: state and output frames, only known shapes, each re-serialized', async () => {
    const followed = await follow(port, logs('?follow=true'), { authorization: `Bearer ${alice}` }, (events) => events.some((e) => e.data?.data === 'last\n'));
    assert.equal(followed.status, 200);
    assert.match(String(followed.type), /^text\/event-stream/);
    assert.deepEqual(followed.events, [
      { event: 'state', data: { type: 'state', app: { running: true, pid: 7 } } },
      { event: 'output', data: { type: 'output', stream: 'stdout', data: 'listening on 3000\n', at } },
      { event: 'output', data: { type: 'output', stream: 'stderr', data: 'x\n\nevent: end\ndata: {}\n\n', at } },
      { event: 'output', data: { type: 'output', stream: 'stdout', data: 'last\n', at } },
    ]);
    // Still nobody else's.
    assert.equal((await follow(port, logs('?follow=true'), { authorization: `Bearer ${bob}` }, () => true)).status, 404);
  });

  it('ends with an `end` event saying why when the agent closes the stream (the repl stopped)', async () => {
    const done = follow(port, logs('?follow=true'), { authorization: `Bearer ${alice}` }, (events) => events.some((e) => e.event === 'end'));
    // Close every agent-side socket once the newest follower is attached.
    const opened = watchers.length;
    for (let i = 0; i < 100 && watchers.length === opened; i++) await new Promise((r) => setTimeout(r, 20));
    watchers.at(-1)!.close();
    const { events } = await done;
    assert.deepEqual(events.at(-1), { event: 'end', data: { reason: 'the app log closed: the repl stopped' } });
  });

  it('holds at most 8 followed logs open per account (429 beyond), and frees a place when one closes', async () => {
    const held: http.ClientRequest[] = [];
    const open = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: logs('?follow=true'), headers: { host: `localhost:${port}`, authorization: `Bearer ${alice}` } }, (res) => {
          resolve(res.statusCode ?? 0);
          if (res.statusCode !== 200) res.resume();
        });
        req.on('error', reject);
        held.push(req);
      });
    try {
      for (let i = 0; i < 8; i++) assert.equal(await open(), 200);
      assert.equal(await open(), 429);
      const bobsOwn = await get('/api/repls', bob);
      assert.equal(bobsOwn.status, 200, 'another account is not limited by it');
      held[0]!.destroy();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 20));
        status = await open();
      }
      assert.equal(status, 200);
    } finally {
      for (const req of held) req.destroy();
    }
  });
});
