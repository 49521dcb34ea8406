import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReplView } from '../src/repls/repl-service.js';
import { eventually, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * Only the stack's declared app port is public by default (issue 10, class 12): another port a
 * repl listens on — here one bound to 127.0.0.1 inside, as a debugger or database UI would be —
 * is for the owner only until the owner makes it public.
 */
describe('preview port visibility', { timeout: 180_000 }, () => {
  let t: TestPortal;
  let alice: string;
  let repl: ReplView;
  const host = (port: number): string => `${repl.id}-${port}.localhost:${t.port}`;
  // A fresh connection per request: what is checked here is the decision, not connection reuse.
  const anonymous = (port: number, headers: Record<string, string> = {}) => request(t.port, { host: host(port), path: '/', headers: { connection: 'close', ...headers } });

  before(async () => {
    t = await startTestPortal();
    alice = await t.newToken();
    repl = (await t.api(alice, 'POST', '/api/repls', { stack: 'node', name: 'Ports' })).json<ReplView>();
    assert.equal(repl.port, 3000);
    assert.equal((await t.api(alice, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    const serve = (port: number, bind: string): string => `setsid python3 -m http.server ${port} --bind ${bind} >/dev/null 2>&1 < /dev/null &`;
    await t.api(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: `${serve(3000, '0.0.0.0')} ${serve(3001, '127.0.0.1')} sleep 0.5` });
    await eventually(async () => (await anonymous(3000)).status === 200, 'the app port to answer');
  });
  after(() => t?.close());

  it('serves the declared port to anyone and refuses another port to a visitor', async () => {
    assert.match((await anonymous(3000)).body, /Directory listing/);
    assert.equal((await anonymous(3001)).status, 401);
    const browser = await anonymous(3001, { accept: 'text/html' });
    assert.equal(browser.status, 302, 'a browser is sent to sign in');
    assert.equal(browser.headers.location, `http://localhost:${t.port}/open/${repl.id}?port=3001`);
    const view = (await t.api(alice, 'GET', `/api/repls/${repl.id}`)).json<ReplView>();
    assert.deepEqual(view.ports.map((p) => [p.port, p.visibility]), [[3000, 'public']]);
  });

  it('serves the other port to its owner, and to anyone once the owner makes it public', async () => {
    const link = new URL((await t.api(alice, 'POST', `/api/repls/${repl.id}/ide-link`, { port: 3001 })).json<{ url: string }>().url);
    const signIn = await request(t.port, { host: link.host, path: link.pathname + link.search });
    assert.equal(signIn.status, 302);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    const owner = await request(t.port, { host: host(3001), path: '/', headers: { cookie, connection: 'close' } });
    assert.equal(owner.status, 200);
    assert.match(owner.body, /Directory listing/);

    assert.equal((await t.api(alice, 'PATCH', `/api/repls/${repl.id}/ports/3001`, { visibility: 'public' })).status, 200);
    const visitor = await anonymous(3001);
    assert.equal(visitor.status, 200);
    assert.match(visitor.body, /Directory listing/);
    const view = (await t.api(alice, 'GET', `/api/repls/${repl.id}`)).json<ReplView>();
    assert.deepEqual(view.ports.map((p) => [p.port, p.visibility]), [[3000, 'public'], [3001, 'public']]);
  });
});
