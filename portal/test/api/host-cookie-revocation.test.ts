import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HOST_COOKIE } from '@codeyard/proxy/access-policy';
import { startAuthPortal, setCookie, type AuthPortal } from '../helpers/auth-portal.js';
import { type Reply, request } from '../helpers/http.js';

/**
 * Signing out of the portal, or revoking the API token that opened a repl, ends the repl hosts'
 * cookies it opened: they are signed grants the proxy checks without the database, so the
 * portal tells it through the list of revoked credentials (CredentialRevocations), read every
 * couple of seconds. The real portal and proxy on loopback, SQLite; the runtime is the
 * MemoryRuntime double (whether a visit is let in is what matters, not what it reaches).
 */
describe('host cookies after sign-out and token revocation (SQLite; MemoryRuntime)', () => {
  let t: AuthPortal;
  const password = 'correct horse battery';

  before(async () => {
    t = await startAuthPortal({ CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'open' });
  });
  after(async () => t?.close());

  /** Exchanges an IDE link on the repl's host, as the browser does: the host cookie it sets. */
  async function hostCookie(url: string): Promise<{ host: string; cookie: string }> {
    const link = new URL(url);
    const res = await request(t.port, { host: link.host, path: `${link.pathname}${link.search}` });
    assert.equal(res.status, 302, res.body);
    return { host: link.host, cookie: `${HOST_COOKIE}=${setCookie(res, HOST_COOKIE).value}` };
  }

  const visit = (host: { host: string; cookie: string }): Promise<Reply> => request(t.port, { host: host.host, path: '/', headers: { accept: 'text/html', cookie: host.cookie } });
  /** Whether the proxy sends this cookie's holder to sign in (the owner is let in: a starting page or VS Code). */
  const refused = (res: Reply): boolean => res.status === 302 && /\/open\//.test(String(res.headers.location));

  /** Visits until refused, for at most 6 s (the list is read every 2 s). */
  async function refusedSoon(host: { host: string; cookie: string }): Promise<boolean> {
    for (const deadline = Date.now() + 6000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      if (refused(await visit(host))) return true;
    }
    return false;
  }

  it('a sign-out ends the IDE cookies that browser session opened, and no other session’s', async () => {
    const signup = await t.call('POST', '/api/auth/signup', { body: { email: 'ada@example.com', password, name: 'Ada' } });
    assert.equal(signup.status, 201, signup.body);
    const laptop = setCookie(signup).value;
    const repl = (await t.call('POST', '/api/repls', { cookie: laptop, body: { stack: 'node' } })).json<{ id: string }>();
    const linkFor = async (cookie: string) => (await t.call('POST', `/api/repls/${repl.id}/ide-link`, { cookie, body: {} })).json<{ url: string }>().url;
    const fromLaptop = await hostCookie(await linkFor(laptop));
    // The same person signed in on a second computer.
    const phone = setCookie(await t.call('POST', '/api/auth/signin', { body: { email: 'ada@example.com', password } })).value;
    const fromPhone = await hostCookie(await linkFor(phone));
    assert.equal(refused(await visit(fromLaptop)), false, 'the owner is let in while signed in');

    assert.equal((await t.call('POST', '/api/auth/signout', { cookie: laptop })).status, 204);
    assert.equal(await refusedSoon(fromLaptop), true, 'the signed-out browser is sent to sign in on the repl host too');
    assert.equal(refused(await visit(fromPhone)), false, 'the other session’s IDE cookie still works');
  });

  it('revoking an API token ends the IDE cookies its links opened (the CLI’s `repl open`)', async () => {
    const signup = await t.call('POST', '/api/auth/signup', { body: { email: 'grace@example.com', password, name: 'Grace' } });
    const browser = setCookie(signup).value;
    const made = await t.call('POST', '/api/tokens', { cookie: browser, body: { name: 'laptop CLI' } });
    assert.equal(made.status, 201, made.body);
    const { token, id } = made.json<{ token: string; id: string }>();
    const bearer = { authorization: `Bearer ${token}` };
    const repl = (await t.call('POST', '/api/repls', { sameOrigin: false, headers: bearer, body: { stack: 'node' } })).json<{ id: string }>();
    const link = (await t.call('POST', `/api/repls/${repl.id}/ide-link`, { sameOrigin: false, headers: bearer, body: {} })).json<{ url: string }>();
    const opened = await hostCookie(link.url);
    assert.equal(refused(await visit(opened)), false);

    assert.equal((await t.call('DELETE', `/api/tokens/${id}`, { cookie: browser })).status, 204);
    assert.equal(await refusedSoon(opened), true, 'the cookie the revoked token opened is refused');
  });
});
