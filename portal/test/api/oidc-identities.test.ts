import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectedIdentitiesReply } from '@codeyard/common/api/oidc';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { type OidcPortal, outcome, startOidcPortal } from '../helpers/oidc-portal.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-test-provider.js';

/**
 * The dashboard's "Sign-in providers": the connected ones listed for the account itself, and
 * disconnected from a browser session, never leaving the account without a way in. Over HTTP
 * against a real OpenID provider on loopback; two provider entries share its issuer.
 */
describe('connected sign-in providers: list and disconnect', () => {
  let op: TestOidcProvider;
  let portal: OidcPortal;
  const fromPage = (portalOrigin: string) => ({ origin: portalOrigin, 'content-type': 'application/json' });
  const list = async (browser: CookieBrowser, headers: Record<string, string> = {}) => {
    const hop = await browser.fetch(`${portal.origin}/api/me/identities`, { headers });
    return { status: hop.status, body: JSON.parse(hop.body) as ConnectedIdentitiesReply };
  };
  const disconnect = (browser: CookieBrowser, provider: string, headers: Record<string, string> = { origin: portal.origin }) =>
    browser.fetch(`${portal.origin}/api/me/identities/${provider}`, { method: 'DELETE', headers });

  before(async () => {
    op = await startOidcProvider({
      users: {
        frank: { email: 'frank@example.com', email_verified: true },
        'frank-work': { email: 'frank@work.example', email_verified: true },
        gina: { email: 'gina@example.com', email_verified: true },
      },
    });
    portal = await startOidcPortal(op, { CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'open', CODEYARD_RATE_SIGNINS_PER_MINUTE: '1000' }, [
      { id: 'test', name: 'Test ID' },
      { id: 'work', name: 'Work ID' },
    ]);
  });
  after(async () => {
    await portal?.close();
    await op?.close();
  });

  it('lists only the account its own providers, and keeps the last way in', async () => {
    const frank = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(frank, 'test', 'frank')), 'signed in');
    const mine = await list(frank);
    assert.equal(mine.status, 200);
    assert.deepEqual(
      mine.body.identities.map((i) => [i.provider, i.name, i.email]),
      [['test', 'Test ID', 'frank@example.com']],
    );
    assert.equal(mine.body.canRemoveLast, false, 'made by the provider: no password');

    const last = await disconnect(frank, 'test');
    assert.equal(last.status, 409, last.body);
    assert.match(JSON.parse(last.body).error.message, /Test ID is the only way this account signs in/);
    assert.equal((await list(frank)).body.identities.length, 1, 'still connected');

    const gina = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(gina, 'test', 'gina')), 'signed in');
    assert.deepEqual((await list(gina)).body.identities.map((i) => i.email), ['gina@example.com'], "another account sees its own, never frank's");
    assert.equal((await disconnect(gina, 'work')).status, 404, 'nothing of that provider is connected to gina');
    assert.equal((await list(new CookieBrowser())).status, 401, 'nobody signed in');
  });

  it('disconnects from a browser session once another provider is connected; never by token or from another origin', async () => {
    const atProvider = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(atProvider, 'test', 'frank')), 'signed in');
    // The same portal session without the provider's own session (which would answer as frank again).
    const frank = new CookieBrowser();
    frank.setCookie(portal.origin, 'codeyard_token', atProvider.cookie(portal.origin, 'codeyard_token'));
    assert.equal(outcome(await portal.signIn(frank, 'work', 'frank-work', { link: true })), 'signed in');
    assert.deepEqual((await list(frank)).body.identities.map((i) => i.provider).sort(), ['test', 'work']);

    const made = await frank.fetch(`${portal.origin}/api/tokens`, { method: 'POST', headers: fromPage(portal.origin), body: JSON.stringify({ name: 'laptop' }) });
    assert.equal(made.status, 201, made.body);
    const token = (JSON.parse(made.body) as { token: string }).token;
    const byToken = await new CookieBrowser().fetch(`${portal.origin}/api/me/identities/test`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    assert.equal(byToken.status, 403, byToken.body);
    assert.match(JSON.parse(byToken.body).error.message, /needs a browser signed in/);
    assert.equal((await disconnect(frank, 'test', { origin: 'http://evil.localhost' })).status, 403, 'a cross-site page cannot disconnect');
    assert.equal((await list(frank)).body.identities.length, 2, 'nothing removed by the refused calls');

    const done = await disconnect(frank, 'test');
    assert.equal(done.status, 204, done.body);
    assert.deepEqual((await list(frank)).body.identities.map((i) => i.provider), ['work']);
    const [unlinked] = await portal.audit('identity.unlink');
    const me = (await portal.me(frank)).body;
    assert.deepEqual([unlinked?.accountId, unlinked?.credentialKind, unlinked?.targetId, unlinked?.details], [me.id, 'session', me.id, { provider: 'test' }]);
    assert.equal((await disconnect(frank, 'test')).status, 404, 'again: nothing left to disconnect');
  });

  it('sends a signed-in browser whose sign-in failed early back to the dashboard with the reason', async () => {
    const frank = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(frank, 'work', 'frank-work')), 'signed in');
    const callback = new URL(await portal.authorize(frank, 'work', 'frank-work', { link: true }));
    callback.searchParams.set('state', `${callback.searchParams.get('state')}x`);
    const hop = await frank.fetch(callback.href);
    assert.equal(hop.status, 303);
    const to = new URL(hop.location!);
    assert.deepEqual([to.pathname, to.searchParams.get('error'), to.searchParams.get('provider')], ['/', 'expired', 'work'], 'not /signin, which would forward to / and drop the message');
  });
});
