import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { type OidcPortal, outcome, startOidcPortal } from '../helpers/oidc-portal.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-test-provider.js';

/**
 * Owner mode: the owner (who has no address) connects a provider while signed in, then signs in
 * with it from another browser; a stranger with a verified address still gets no account
 * (owner mode's sign-up is by invite). Over HTTP against a real OpenID provider on loopback.
 */
describe('OpenID in owner mode: the owner connects a provider and signs in with it later', () => {
  let op: TestOidcProvider;
  let portal: OidcPortal;

  before(async () => {
    op = await startOidcProvider({ users: { 'owner-sub': { email: 'me@home.example', email_verified: true }, stranger: { email: 'stranger@example.com', email_verified: true } } });
    portal = await startOidcPortal(op, { CODEYARD_AUTH: 'owner', CODEYARD_RATE_SIGNINS_PER_MINUTE: '1000' }, [{ id: 'home', name: 'Home ID' }]);
  });
  after(async () => {
    await portal?.close();
    await op?.close();
  });

  it('connects, then signs in as the owner; strangers get no account', async () => {
    const ownerBrowser = new CookieBrowser();
    const code = await portal.codeyard.portal.auth.owner.issueCode();
    const claimed = await ownerBrowser.fetch(`${portal.origin}/api/auth/owner`, { method: 'POST', headers: { origin: portal.origin, 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    assert.equal(claimed.status, 200, claimed.body);
    const owner = (await portal.me(ownerBrowser)).body;
    assert.equal(owner.role, 'admin');

    assert.equal(outcome(await portal.signIn(new CookieBrowser(), 'home', 'owner-sub')), '/signin?error=invite', 'not connected yet: no account has that address');
    const connected = await portal.signIn(ownerBrowser, 'home', 'owner-sub', { link: true });
    assert.equal(outcome(connected), 'signed in');
    assert.equal(new URL(connected.location!).search, '?connected=home', 'back on the dashboard, which says so');
    assert.equal((await portal.me(ownerBrowser)).body.id, owner.id, 'still the owner in the browser that connected');
    // Recorded as the owner's act, with the session that connected it; connecting is no sign-in.
    const [ownerSignIn] = await portal.audit('signin');
    assert.deepEqual(ownerSignIn?.details, { method: 'owner link' });
    const links = await portal.audit('identity.link');
    assert.deepEqual(links.map((e) => [e.accountId, e.credentialKind, e.credentialId, e.targetId, e.details.provider, e.details.how]), [[owner.id, 'session', ownerSignIn?.credentialId, owner.id, 'home', 'connected']]);
    assert.equal((await portal.audit('signin')).length, 1);

    const elsewhere = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(elsewhere, 'home', 'owner-sub')), 'signed in');
    assert.equal((await portal.me(elsewhere)).body.id, owner.id);
    const [later] = await portal.audit('signin');
    assert.deepEqual([later?.accountId, later?.details], [owner.id, { method: 'oidc', provider: 'home', how: 'identity' }]);

    const stranger = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(stranger, 'home', 'stranger')), '/signin?error=invite');
    assert.equal((await portal.me(stranger)).status, 401);
    const failed = await portal.audit('signin.failed');
    assert.deepEqual(
      failed.map((e) => e.details.reason),
      ['invite', 'invite'],
      'the stranger, and the owner before connecting',
    );
    assert.equal((await portal.audit('identity.link')).length, 1, 'nothing linked but the connect');
  });
});
