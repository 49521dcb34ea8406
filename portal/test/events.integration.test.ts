import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { ReplView } from '../src/repls/repl-service.js';
import { eventually } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

interface Stream {
  events: Array<{ event: string; data: any }>;
  status: number;
  close(): void;
}

/** Opens GET /api/events and collects what arrives. */
function openEvents(port: number, token: string | undefined): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const events: Stream['events'] = [];
    const req = http.get({ host: '127.0.0.1', port, path: '/api/events', headers: { host: `localhost:${port}`, accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      });
      resolve({ events, status: res.statusCode ?? 0, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

describe('live repl events (GET /api/events)', { timeout: 120_000 }, () => {
  let t: TestPortal;
  let alice: string;
  let bob: string;
  before(async () => {
    t = await startTestPortal();
    alice = await t.newToken();
    bob = await t.newToken();
  });
  after(() => t?.close());

  it('streams status changes of the account own repls, and nobody else’s', async () => {
    const mine = await openEvents(t.port, alice);
    const theirs = await openEvents(t.port, bob);
    assert.equal(mine.status, 200);
    const repl = (await t.api(alice, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    await t.api(alice, 'POST', `/api/repls/${repl.id}/start`);
    await eventually(async () => mine.events.some((e) => e.event === 'repl' && e.data.id === repl.id && e.data.status === 'running'), 'running announced');
    assert.ok(mine.events.some((e) => e.data.status === 'starting' && typeof e.data.step === 'string'), 'start steps are streamed');
    await t.api(alice, 'POST', `/api/repls/${repl.id}/stop`);
    await eventually(async () => mine.events.at(-1)?.data.status === 'stopped', 'stopped announced');
    const renamed = await t.api(alice, 'PATCH', `/api/repls/${repl.id}`, { name: 'Renamed' });
    assert.equal(renamed.json<ReplView>().name, 'Renamed');
    await eventually(async () => mine.events.some((e) => e.data.name === 'Renamed'), 'rename announced');
    await t.api(alice, 'DELETE', `/api/repls/${repl.id}`);
    await eventually(async () => mine.events.some((e) => e.event === 'deleted' && e.data.id === repl.id), 'delete announced');
    assert.deepEqual(theirs.events, [], 'another account hears nothing');
    mine.close();
    theirs.close();
  });

  it('needs an account, and caps open streams per account', async () => {
    assert.equal((await openEvents(t.port, undefined)).status, 401);
    const open: Stream[] = [];
    for (let i = 0; i < 8; i++) open.push(await openEvents(t.port, bob));
    assert.ok(open.every((s) => s.status === 200));
    const extra = await openEvents(t.port, bob);
    assert.equal(extra.status, 429);
    extra.close();
    open.pop()!.close();
    await eventually(async () => {
      const again = await openEvents(t.port, bob);
      again.close();
      return again.status === 200;
    }, 'a freed slot');
    for (const s of open) s.close();
  });

  it('refuses a rename that is not a name', async () => {
    const repl = (await t.api(alice, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    assert.equal((await t.api(alice, 'PATCH', `/api/repls/${repl.id}`, { name: '' })).status, 400);
    assert.equal((await t.api(alice, 'PATCH', `/api/repls/${repl.id}`, { name: 'a\u0007b' })).status, 400);
    assert.equal((await t.api(bob, 'PATCH', `/api/repls/${repl.id}`, { name: 'mine now' })).status, 404);
  });
});
