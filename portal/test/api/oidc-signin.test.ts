import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { type OidcPortal, outcome, startOidcPortal } from '../helpers/oidc-portal.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-test-provider.js';

/**
 * "Sign in with …" end to end over HTTP: the portal (accounts mode, open sign-up) and a real
 * OpenID provider (oidc-provider) on loopback, a cookie-keeping client going through the
 * provider's login and consent pages. Who gets which account, and who gets none.
 */
describe('OpenID sign-in on the portal (accounts mode, open sign-up)', () => {
  let op: TestOidcProvider;
  let portal: OidcPortal;
  const session = (browser: CookieBrowser) => browser.cookie(portal.origin, 'codeyard_token');

  before(async () => {
    op = await startOidcProvider({
      users: {
        alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Liddell' },
        bob: { email: 'Bob@Example.com', email_verified: true, name: 'Bob' },
        'carol-impostor': { email: 'carol@example.com', email_verified: false },
        dave: { email: 'dave@example.com', email_verified: true },
        erin: { email: 'erin@school.example', email_verified: true },
        'no-address': {},
      },
    });
    portal = await startOidcPortal(op, { CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'open', CODEYARD_RATE_SIGNINS_PER_MINUTE: '1000' }, [
      { id: 'test', name: 'Test ID' },
      { id: 'school', name: 'School', allowedDomains: ['school.example'] },
    ]);
  });
  after(async () => {
    await portal?.close();
    await op?.close();
  });

  it('lists the providers for the sign-in page', async () => {
    const hop = await new CookieBrowser().fetch(`${portal.origin}/api/auth/options`);
    assert.deepEqual(JSON.parse(hop.body).providers, [{ id: 'test', name: 'Test ID' }, { id: 'school', name: 'School' }]);
  });

  it('makes an account for a new person with a verified address, and the session works', async () => {
    const browser = new CookieBrowser();
    const hop = await portal.signIn(browser, 'test', 'alice');
    assert.equal(outcome(hop), 'signed in');
    assert.match(session(browser) ?? '', /^cys_/);
    assert.equal(browser.cookie(portal.origin, 'codeyard_oidc'), undefined, 'the flow cookie is cleared');
    const me = await portal.me(browser);
    assert.equal(me.status, 200);
    assert.equal(me.body.email, 'alice@example.com');
    assert.equal(me.body.name, 'Alice Liddell');
    // The session is a real one: the API takes it for what the account may do.
    const repls = await browser.fetch(`${portal.origin}/api/repls`);
    assert.equal(repls.status, 200);
    // Recorded as every sign-in is (the one session start), and the new identity as linked.
    const [signin] = (await portal.audit('signin')).filter((e) => e.accountId === me.body.id);
    assert.deepEqual(signin?.details, { method: 'oidc', provider: 'test', how: 'created' });
    assert.equal(signin?.credentialKind, 'session');
    const links = (await portal.audit('identity.link')).filter((e) => e.targetId === me.body.id);
    assert.deepEqual(links.map((e) => [e.accountId, e.credentialId, e.details.provider, e.details.how, e.details.subject]), [[me.body.id, signin?.credentialId, 'test', 'created', 'alice']]);
  });

  it('links an existing account with the same verified address, then finds it by subject after the address changes', async () => {
    const existing = await portal.codeyard.portal.auth.accounts.createUser({ email: 'bob@example.com', emailVerified: false, name: 'Bob', password: 'a long enough password 1' });
    const first = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(first, 'test', 'bob')), 'signed in');
    assert.equal((await portal.me(first)).body.id, existing.id);
    op.users.set('bob', { email: 'robert@elsewhere.example', email_verified: true });
    const later = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(later, 'test', 'bob')), 'signed in');
    assert.equal((await portal.me(later)).body.id, existing.id);
    assert.equal(await portal.codeyard.portal.auth.accounts.byEmail('robert@elsewhere.example'), undefined, 'no second account');
    const signins = (await portal.audit('signin')).filter((e) => e.accountId === existing.id);
    assert.deepEqual(signins.map((e) => e.details.how), ['identity', 'email'], 'newest first: found by subject, then linked by address');
    const links = (await portal.audit('identity.link')).filter((e) => e.targetId === existing.id);
    assert.deepEqual(links.map((e) => e.details.how), ['email'], 'linked once, when the verified address matched');
  });

  it('never links an unverified address to the account that has it, and makes no account of it', async () => {
    const carol = await portal.codeyard.portal.auth.accounts.createUser({ email: 'carol@example.com', emailVerified: true, password: 'a long enough password 2' });
    const browser = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(browser, 'test', 'carol-impostor')), '/signin?error=unverified');
    assert.equal(session(browser), undefined);
    assert.deepEqual(await portal.codeyard.portal.database.identities.ofAccount(carol.id), []);
    const noAddress = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(noAddress, 'test', 'no-address')), '/signin?error=unverified');
    assert.equal(session(noAddress), undefined);
    const failed = (await portal.audit('signin.failed')).filter((e) => e.details.reason === 'unverified');
    assert.equal(failed.length, 2, 'both refusals recorded');
    assert.deepEqual(failed[0]?.details, { method: 'oidc', provider: 'test', reason: 'unverified' });
    assert.equal(failed[0]?.accountId, null, 'nobody signed in');
    assert.equal((await portal.audit('identity.link')).some((e) => e.targetId === carol.id), false);
  });

  it('refuses a disabled account, and its existing session stops working', async () => {
    const browser = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(browser, 'test', 'dave')), 'signed in');
    const dave = (await portal.me(browser)).body;
    await portal.codeyard.portal.auth.accounts.setDisabled(dave.id!, true);
    assert.equal((await portal.me(browser)).status, 401);
    const again = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(again, 'test', 'dave')), '/signin?error=disabled');
    assert.equal(session(again), undefined);
    const [refused] = (await portal.audit('signin.failed')).filter((e) => e.targetId === dave.id);
    assert.deepEqual(refused?.details, { method: 'oidc', provider: 'test', reason: 'disabled' }, 'recorded against the disabled account');
  });

  it('lets only allowed domains in through a provider that names them', async () => {
    assert.equal(outcome(await portal.signIn(new CookieBrowser(), 'school', 'alice')), '/signin?error=domain');
    const erin = new CookieBrowser();
    assert.equal(outcome(await portal.signIn(erin, 'school', 'erin')), 'signed in');
    assert.equal((await portal.me(erin)).body.email, 'erin@school.example');
  });

  it('refuses a wrong state, a replayed callback and a callback in another browser', async () => {
    const browser = new CookieBrowser();
    const callback = new URL(await portal.authorize(browser, 'test', 'alice'));
    const state = callback.searchParams.get('state')!;
    callback.searchParams.set('state', `${state}x`);
    assert.equal(outcome(await browser.fetch(callback.href)), '/signin?error=expired');
    assert.equal(session(browser), undefined);

    const good = await portal.authorize(browser, 'test', 'alice');
    assert.equal(outcome(await new CookieBrowser().fetch(good)), '/signin?error=expired', "another browser has no flow cookie: an attacker's code sent to a victim");
    const replayer = new CookieBrowser();
    const replayed = await portal.authorize(replayer, 'test', 'alice');
    const flowCookie = replayer.cookie(portal.origin, 'codeyard_oidc');
    assert.equal(outcome(await replayer.fetch(replayed)), 'signed in');
    replayer.setCookie(portal.origin, 'codeyard_oidc', flowCookie);
    replayer.setCookie(portal.origin, 'codeyard_token', undefined);
    assert.equal(outcome(await replayer.fetch(replayed)), '/signin?error=expired', 'a replay, even with the old flow cookie');
    assert.equal(session(replayer), undefined);
  });

  it('refuses an ID token whose nonce is not the one this browser sent', async () => {
    const browser = new CookieBrowser();
    const started = JSON.parse((await portal.start(browser, 'test')).body) as { url: string };
    const altered = new URL(started.url);
    altered.searchParams.set('nonce', 'someone-elses-nonce');
    const { authorizeAtProvider } = await import('../helpers/oidc-test-provider.js');
    const callback = await authorizeAtProvider(browser, altered.href, 'alice', `${portal.origin}/auth/oidc/test/callback`);
    assert.equal(outcome(await browser.fetch(callback)), '/signin?error=invalid');
    assert.equal(session(browser), undefined);
  });

  it('shows a cancelled sign-in as cancelled', async () => {
    const browser = new CookieBrowser();
    const started = JSON.parse((await portal.start(browser, 'test')).body) as { url: string };
    const state = new URL(started.url).searchParams.get('state')!;
    assert.equal(outcome(await browser.fetch(`${portal.origin}/auth/oidc/test/callback?error=access_denied&state=${state}`)), '/signin?error=denied');
  });

  it('refuses a start from another origin, an unknown provider, and connecting without being signed in', async () => {
    const browser = new CookieBrowser();
    const crossSite = await browser.fetch(`${portal.origin}/api/auth/oidc/test/start`, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(crossSite.status, 403);
    assert.equal(browser.cookie(portal.origin, 'codeyard_oidc'), undefined);
    const unknown = await portal.start(browser, 'nope');
    assert.equal(unknown.status, 404);
    assert.match(JSON.parse(unknown.body).error.message, /no OpenID provider "nope" here; the configured ones are: test, school/);
    const link = await portal.start(browser, 'test', { link: true });
    assert.equal(link.status, 401);
  });

  it('counts a start as a sign-in attempt of the address (429 past the limit)', async () => {
    const limited = await startOidcPortal(op, { CODEYARD_AUTH: 'accounts', CODEYARD_RATE_SIGNINS_PER_MINUTE: '2' }, [{ id: 'limited', name: 'Limited ID' }]);
    try {
      const browser = new CookieBrowser();
      assert.deepEqual([(await limited.start(browser, 'limited')).status, (await limited.start(browser, 'limited')).status], [200, 200]);
      const third = await limited.start(browser, 'limited');
      assert.equal(third.status, 429);
      assert.equal(JSON.parse(third.body).error.code, 'RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });

  it('says which provider is down and when to try again, instead of hanging', async () => {
    await op.stop();
    try {
      // A fresh portal, which has not read the provider's metadata yet.
      const down = await startOidcPortal(op, { CODEYARD_AUTH: 'accounts' }, [{ id: 'down', name: 'Down ID' }]);
      try {
        const hop = await down.start(new CookieBrowser(), 'down');
        assert.equal(hop.status, 503);
        assert.match(JSON.parse(hop.body).error.message, /Down ID cannot be used for sign-in right now/);
        assert.equal(hop.setCookies.length, 0, 'no flow cookie');
      } finally {
        await down.close();
      }
    } finally {
      await op.restart();
    }
  });
});
