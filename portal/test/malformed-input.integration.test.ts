import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReplView } from '../src/repls/repl-service.js';
import { openWebSocket, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/** Input a browser or an attacker can send that once ended in a 500 or off the site. */
describe('malformed input', { timeout: 120_000 }, () => {
  let t: TestPortal;
  let token: string;
  let repl: ReplView;
  before(async () => {
    t = await startTestPortal();
    token = await t.newToken();
    repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
  });
  after(() => t?.close());

  it('a next with a tab, newline or backslash after the slash never leaves the site, and never gives a 500', async () => {
    const ideHost = `${repl.id}.localhost:${t.port}`;
    // Browsers strip \t \r \n from URLs and read \ as /: each of these is //evil.com to them.
    for (const next of ['/%09/evil.com', '/%0a/evil.com', '/%0d/evil.com', '/%0d%0a/evil.com', '/%5Cevil.com', '/%09%5Cevil.com', '//evil.com']) {
      const open = await request(t.port, { path: `/open/${repl.id}?next=${next}`, headers: { cookie: `codeyard_token=${token}` } });
      assert.equal(open.status, 302, next);
      const ticketUrl = new URL(String(open.headers.location));
      assert.equal(ticketUrl.host, ideHost, next);
      assert.doesNotMatch(ticketUrl.searchParams.get('next') ?? '', /evil/, `${next} is not carried to the IDE host`);
      // And the IDE host itself, given such a next directly, answers with a path of its own.
      const forged = new URL(ticketUrl);
      forged.searchParams.set('next', decodeURIComponent(next));
      const redeemed = await request(t.port, { host: ideHost, path: forged.pathname + forged.search });
      assert.equal(redeemed.status, 302, `${next} at the IDE host`);
      assert.equal(redeemed.headers.location, '/', `${next} at the IDE host`);
    }
  });

  it('a repeated next is not a path either', async () => {
    const open = await request(t.port, { path: `/open/${repl.id}?next=/a&next=/b`, headers: { cookie: `codeyard_token=${token}` } });
    assert.equal(open.status, 302);
  });

  it('a session cookie with a malformed percent-encoding is a 401 that says what to do, not a 500', async () => {
    const cookie = 'codeyard_token=%E0%A4%A';
    const api = await request(t.port, { path: '/api/repls', headers: { cookie } });
    assert.equal(api.status, 401);
    assert.equal(api.json().error.code, 'UNAUTHENTICATED');
    assert.match(api.json().error.message, /POST \/api\/session/);
    const open = await request(t.port, { path: `/open/${repl.id}`, headers: { cookie } });
    assert.equal(open.status, 401);
    assert.match(open.body, /no Codeyard session/);
    assert.equal((await openWebSocket(t.port, { host: `localhost:${t.port}`, path: `/api/repls/${repl.id}/app/logs`, headers: { cookie, origin: `http://localhost:${t.port}` } })).status, 401);
    const host = await request(t.port, { host: `${repl.id}.localhost:${t.port}`, path: '/', headers: { cookie: 'codeyard_host=%E0%A4%A', accept: 'application/json' } });
    assert.equal(host.status, 401, 'the same on a repl host');
  });
});
