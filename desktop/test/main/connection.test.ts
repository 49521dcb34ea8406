import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Repl } from '@codeyard/common/api/models';
import type { ConnectionState } from '../../src/shared/ipc-channels.js';
import { APP_POLL_MS, AppWatch, appChanged } from '../../src/main/app-watch.js';
import { SseParser } from '../../src/main/event-stream.js';
import { PortalClient } from '../../src/main/portal-client.js';
import { Reconnector, retryDelay } from '../../src/main/reconnector.js';
import { ServerConnection } from '../../src/main/server-connection.js';
import { ManualScheduler } from '../helpers/doubles.js';
import { replView } from '../helpers/repl-view.js';

describe('server-sent events parser', () => {
  it('reads named events, multi-line data, comments, and any line ending, across chunk boundaries', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('retry: 2000\n: live\n\nevent: repl\nda'), []);
    assert.deepEqual(p.push('ta: {"a":1}\r\n\r'), [{ event: 'repl', data: '{"a":1}' }]);
    assert.deepEqual(p.push('\ndata: one\ndata:two\r\rdata: x\n'), [{ event: 'message', data: 'one\ntwo' }]);
    assert.deepEqual(p.push('\n'), [{ event: 'message', data: 'x' }]);
    assert.deepEqual(p.push('event: deleted\n\n'), [], 'an event with no data is not dispatched');
  });
  it('refuses a line over 1 MiB instead of growing without end', () => {
    assert.throws(() => new SseParser().push('data: ' + 'x'.repeat(1 << 20)), /over 1 MiB/);
  });
});

describe('reconnection', () => {
  it('waits 1, 2, 5, 10 then 30 s between tries, probes, and reconnects once the server answers', async () => {
    const scheduler = new ManualScheduler();
    let up = false;
    const waits: number[] = [];
    let reconnected = 0;
    const r = new Reconnector({ scheduler, probe: async () => up, reconnect: () => void reconnected++, onWaiting: (attempt, at) => waits.push(at - scheduler.now()) });
    r.failed();
    for (let i = 0; i < 6; i++) {
      scheduler.fireNext();
      await new Promise((res) => setImmediate(res));
    }
    assert.deepEqual(waits, [1000, 2000, 5000, 10000, 30000, 30000, 30000]);
    up = true;
    scheduler.fireNext();
    await new Promise((res) => setImmediate(res));
    assert.equal(reconnected, 1);
    r.succeeded();
    assert.equal(retryDelay(0), 1000);
  });
  it('tries at once when asked, and never after stop', async () => {
    const scheduler = new ManualScheduler();
    let probes = 0;
    const r = new Reconnector({ scheduler, probe: async () => (probes++, false), reconnect: () => undefined, onWaiting: () => undefined });
    r.failed();
    r.retryNow();
    await new Promise((res) => setImmediate(res));
    assert.equal(probes, 1);
    r.stop();
    assert.equal(scheduler.timers.length, 0);
  });
});

/** A loopback stand-in for the portal's /api/events and /healthz that a test can take down and bring back. */
async function eventServer() {
  const streams = new Set<http.ServerResponse>();
  const state = { healthy: true, status: 200 };
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') return void res.writeHead(state.healthy ? 200 : 503).end('{}');
    if (req.url === '/api/events') {
      if (state.status !== 200) return void res.writeHead(state.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'the token is not valid' } }));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 2000\n: live\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    state,
    streams,
    send: (event: string, data: unknown) => streams.forEach((s) => s.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)),
    drop: () => streams.forEach((s) => s.destroy()),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), `timed out waiting for ${what}`);
};

describe('ServerConnection (live stream from a loopback server)', () => {
  it('passes repl changes on, goes offline when the stream breaks and comes back by itself', async () => {
    const server = await eventServer();
    const scheduler = new ManualScheduler();
    const conn = new ServerConnection({ client: new PortalClient({ server: server.origin, token: () => 'cy_x' }), scheduler });
    const seen: Repl[] = [];
    const states: ConnectionState[] = [];
    let resyncs = 0;
    conn.subscribe({ repl: (r) => seen.push(r), deleted: () => undefined, state: (s) => states.push(s), resync: () => resyncs++ });
    conn.start();
    await until('the stream', () => server.streams.size === 1 && resyncs === 1);
    server.send('repl', replView({ app: { running: true } }));
    await until('the event', () => seen.length === 1);
    assert.equal(seen[0]!.app.running, true);
    server.state.healthy = false;
    server.drop();
    await until('offline', () => states.at(-1)?.state === 'offline');
    assert.match((states.at(-1) as { reason: string }).reason, /closed the connection|terminated|other side closed/);
    scheduler.fireNext(); // the probe finds the server down: it waits longer
    await until('the second wait', () => (states.at(-1) as { attempt: number }).attempt === 2);
    server.state.healthy = true;
    scheduler.fireNext();
    await until('online again', () => states.at(-1)?.state === 'online' && server.streams.size === 1);
    assert.equal(resyncs, 2, 'the list is read again after the gap');
    conn.close();
    await server.close();
  });

  it('stops and says signed out when the server refuses the token (revoked elsewhere)', async () => {
    const server = await eventServer();
    server.state.status = 401;
    const conn = new ServerConnection({ client: new PortalClient({ server: server.origin, token: () => 'cyp_revoked' }), scheduler: new ManualScheduler() });
    const states: ConnectionState[] = [];
    conn.subscribe({ repl: () => undefined, deleted: () => undefined, state: (s) => states.push(s), resync: () => undefined });
    conn.start();
    await until('signed out', () => states.at(-1)?.state === 'signed-out');
    assert.match((states.at(-1) as { message: string }).message, /not valid/);
    conn.close();
    await server.close();
  });
});

describe('app state of open repl windows (Run pressed in VS Code reaches the agent only)', () => {
  it('reads every two seconds and tells only changes', async () => {
    const scheduler = new ManualScheduler();
    const readings = [{ running: false }, { running: true, startedAt: 'a' }, { running: true, startedAt: 'a' }, { running: false, startedAt: 'a', exitedAt: 'b', exitCode: 1 }];
    const changes: Array<{ key: string; running: boolean }> = [];
    const watch = new AppWatch({ scheduler, read: async () => readings.shift()!, onChange: (key, app) => changes.push({ key, running: app.running }) });
    const stop = watch.watch('s abcdefghijkl', { running: false });
    for (let i = 0; i < 4; i++) {
      assert.equal(scheduler.fireNext(), APP_POLL_MS);
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(changes, [{ key: 's abcdefghijkl', running: true }, { key: 's abcdefghijkl', running: false }]);
    stop();
    assert.equal(scheduler.timers.length, 0, 'nothing read after the window closed');
  });
  it('reads nothing while the server is offline, and again once it is back', async () => {
    const scheduler = new ManualScheduler();
    let reads = 0;
    const watch = new AppWatch({ scheduler, read: async () => (reads++, { running: false }), onChange: () => undefined });
    watch.watch('k');
    watch.pause();
    scheduler.fireNext();
    await new Promise((r) => setImmediate(r));
    assert.equal(reads, 0);
    watch.resume();
    scheduler.fireNext();
    await new Promise((r) => setImmediate(r));
    assert.equal(reads, 1);
    assert.ok(appChanged(undefined, { running: false }));
    assert.ok(!appChanged({ running: true, startedAt: 'x' }, { running: true, startedAt: 'x', pid: 4 }), 'a new pid alone changes nothing shown');
    watch.close();
  });
});
