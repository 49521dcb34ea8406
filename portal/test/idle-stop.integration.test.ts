import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import type { ReplView } from '../src/repls/repl-record.js';
import { eventually, openWebSocket, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/** Idle time for this test: seconds, not the default 30 minutes (the sweeper checks every tenth of it). */
const IDLE_MS = 4000;

/**
 * Idle stop and always on with the real parts: the process runtime (bubblewrap sandbox), real
 * code-server and agent, the fs store, HTTP and WebSockets through the proxy's public port.
 * A repl whose IDE WebSocket stays open is kept running; closed, the repl is stopped with a file
 * written just before kept in the store; the next visit wakes it. An always-on repl is left
 * running, and its app is restarted when it is killed. Nothing here asserts how long anything took.
 */
describe('idle stop and always on, real sandbox', { timeout: 300_000 }, () => {
  let t: TestPortal;
  let alice: string;

  before(async () => {
    t = await startTestPortal({ config: { idleStopMs: IDLE_MS } });
    alice = await t.newToken();
  });
  after(async () => {
    await t?.close();
  });

  const status = async (id: string): Promise<string> => (await t.api(alice, 'GET', `/api/repls/${id}`)).json<ReplView>().status;
  const newRunning = async (): Promise<ReplView> => {
    const repl = (await t.api(alice, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    assert.equal((await t.api(alice, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    return repl;
  };
  /** A cookie for the repl's IDE host, from a one-time link (as a browser gets it). */
  const ideCookie = async (id: string): Promise<string> => {
    const link = new URL((await t.api(alice, 'POST', `/api/repls/${id}/ide-link`)).json<{ url: string }>().url);
    const redeem = await request(t.port, { host: link.host, path: link.pathname + link.search });
    assert.equal(redeem.status, 302);
    return String(redeem.headers['set-cookie']).split(';')[0]!;
  };

  it('keeps a repl with an open IDE WebSocket running; once closed it is stopped with its files saved, and a visit wakes it', async () => {
    const repl = await newRunning();
    const host = `${repl.id}.localhost:${t.port}`;
    const cookie = await ideCookie(repl.id);
    // VS Code's connection, through the proxy's fast path (an upgrade as a connection's first request).
    const wsPath = `/?reconnectionToken=${crypto.randomUUID()}&reconnection=false&skipWebSocketFrames=false`;
    const ide = await openWebSocket(t.port, { host, path: wsPath, headers: { cookie, origin: `http://${host}` } });
    assert.equal(ide.status, 101);
    // Nothing else happens on the repl for more than twice the idle time.
    await sleep(2 * IDLE_MS + 1000);
    assert.equal(ide.ws!.readyState, WebSocket.OPEN, 'code-server kept the connection open');
    assert.equal(t.runtime.status(repl.id).state, 'running', 'an open IDE connection is use');

    // A file written just before the last use, through the files API.
    assert.equal((await t.api(alice, 'PUT', `/api/repls/${repl.id}/files/notes.txt`, 'written just before')).status, 201);
    ide.ws!.close();
    await eventually(async () => t.runtime.status(repl.id).state === 'stopped', 'the idle repl to be stopped', 60_000);
    const stored = (await t.api(alice, 'GET', `/api/repls/${repl.id}/files/notes.txt`));
    assert.equal(stored.status, 200);
    assert.equal(stored.body, 'written just before', 'the stop saved it: read back from the store');
    assert.equal(fs.existsSync(path.join(t.dataDir, 'repls', repl.id, 'workspace', 'notes.txt')), false, 'the local copy is gone: it came from the store');

    // The next visit (the owner's browser) gets the starting page and wakes the repl.
    const visit = await request(t.port, { host, path: '/', headers: { cookie, accept: 'text/html' } });
    assert.equal(visit.status, 503);
    await eventually(async () => (await status(repl.id)) === 'running', 'the repl to wake on the visit', 120_000);
    const back = await t.api(alice, 'GET', `/api/repls/${repl.id}/files/notes.txt`);
    assert.equal(back.body, 'written just before');
    assert.equal((await t.api(alice, 'DELETE', `/api/repls/${repl.id}`)).status, 204);
  });

  it('never stops an always-on repl, and restarts its app when it crashes', async () => {
    const repl = await newRunning();
    const on = await t.api(alice, 'PATCH', `/api/repls/${repl.id}`, { alwaysOn: true });
    assert.equal(on.status, 200, on.body);
    const preview = `${repl.id}-3000.localhost:${t.port}`;
    const first = await eventually(async () => {
      const app = (await t.api(alice, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean; pid?: number }>();
      return app.running && app.pid;
    }, 'the always-on app to be started', 120_000);
    await eventually(async () => (await request(t.port, { host: preview, path: '/' })).status === 200, 'the app to answer');

    // The app dies (its process group killed from inside the repl, as an out-of-memory kill would end it).
    const killed = await t.api(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: `pkill -KILL -g ${first}` });
    assert.equal(killed.status, 200, killed.body);
    assert.equal(killed.json<{ exitCode: number }>().exitCode, 0, killed.body);
    const restarted = await eventually(async () => {
      const app = (await t.api(alice, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean; pid?: number; restarts?: number }>();
      return app.running && app.pid !== first && (app.restarts ?? 0) >= 1 && app;
    }, 'the app to be restarted', 60_000).catch(async (err: unknown) => {
      // What the agent wrote about it, to say why not.
      throw new Error(`${String(err)}; app: ${(await t.api(alice, 'GET', `/api/repls/${repl.id}/app`)).body}; log: ${fs.readFileSync(path.join(t.dataDir, 'repls', repl.id, 'private', 'state', 'app.log'), 'utf8').slice(-2000)}`);
    });
    assert.ok(restarted.restarts! >= 1);
    await eventually(async () => (await request(t.port, { host: preview, path: '/' })).status === 200, 'the restarted app to answer');

    // Left alone for more than twice the idle time: still running, app and all.
    await sleep(2 * IDLE_MS + 1000);
    assert.equal(t.runtime.status(repl.id).state, 'running');
    assert.equal((await t.api(alice, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean }>().running, true);
    assert.equal((await t.api(alice, 'DELETE', `/api/repls/${repl.id}`)).status, 204);
  });
});
