import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, type AuthPortal, setCookie, startAuthPortal } from '../helpers/auth-portal.js';

const password = 'correct horse battery';

/** A portal in accounts mode with open sign-up and the given settings, and a way to make users. */
async function portalWith(env: Record<string, string> = {}): Promise<AuthPortal & { user(email: string): Promise<void> }> {
  const t = await startAuthPortal({ CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'open', ...env });
  return Object.assign(t, { user: async (email: string) => void (await t.codeyard.portal.auth.accounts.createUser({ email, emailVerified: false, name: email, password })) });
}

/**
 * What stands between the sign-in routes and abuse: login CSRF, session fixation, brute force
 * (per address, per account, behind a trusted proxy or not), a disabled account, cookie
 * attributes behind https. The real portal over loopback (MemoryRuntime double, SQLite).
 */
describe('sign-in against abuse', () => {
  let t: Awaited<ReturnType<typeof portalWith>>;
  before(async () => {
    t = await portalWith();
    await t.user('alice@example.com');
    await t.user('bob@example.com');
  });
  after(() => t?.close());

  const signIn = (email: string, options: { cookie?: string; headers?: Record<string, string>; sameOrigin?: boolean } = {}) => t.call('POST', '/api/auth/signin', { body: { email, password }, ...options });

  it('refuses sign-in and sign-up from another site (login CSRF) and from plain forms', async () => {
    for (const path of ['/api/auth/signin', '/api/auth/signup']) {
      const body = { email: 'alice@example.com', password, name: 'A' };
      assertError(await t.call('POST', path, { body, sameOrigin: false, headers: { origin: 'http://evil.example.com' } }), 403, 'FORBIDDEN', /cross-origin request refused: Origin http:\/\/evil.example.com/);
      assertError(await t.call('POST', path, { body, sameOrigin: false, headers: { 'sec-fetch-site': 'cross-site' } }), 403, 'FORBIDDEN');
      // A repl's page is same-site with the portal on plain http: same-site is not same-origin.
      assertError(await t.call('POST', path, { body, sameOrigin: false, headers: { origin: `http://abcdefghijkl.localhost:${t.port}` } }), 403, 'FORBIDDEN');
      assertError(await t.call('POST', path, { body: 'email=a&password=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      assertError(await t.call('POST', path, { body: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    // A script (no Origin, no cookie) is no browser riding on cookies: it may sign in.
    assert.equal((await signIn('alice@example.com', { sameOrigin: false })).status, 200);
  });

  it('never keeps a session cookie from before sign-in: a new one each time, the old one revoked', async () => {
    const planted = `cys_${'A'.repeat(43)}`;
    const first = setCookie(await signIn('alice@example.com', { cookie: planted })).value;
    assert.notEqual(first, planted);
    assertError(await t.call('GET', '/api/me', { cookie: planted }), 401, 'UNAUTHENTICATED');
    // Signing in again (as someone else, from the same browser) replaces the session and ends the old one.
    const second = setCookie(await signIn('bob@example.com', { cookie: first })).value;
    assert.notEqual(second, first);
    assert.equal((await t.call('GET', '/api/me', { cookie: second })).json().email, 'bob@example.com');
    assertError(await t.call('GET', '/api/me', { cookie: first }), 401, 'UNAUTHENTICATED', /no longer valid/);
  });

  it('takes a session only from the cookie, and a change with it only from the portal', async () => {
    const cookie = setCookie(await signIn('alice@example.com')).value;
    assertError(await t.call('GET', '/api/me', { headers: { authorization: `Bearer ${cookie}` } }), 401, 'UNAUTHENTICATED');
    assertError(await t.call('POST', '/api/repls', { cookie, sameOrigin: false, body: { stack: 'node' } }), 403, 'FORBIDDEN', /without an Origin/);
    assertError(await t.call('POST', '/api/repls', { cookie, sameOrigin: false, headers: { origin: 'http://evil.example.com' }, body: { stack: 'node' } }), 403, 'FORBIDDEN');
    assert.equal((await t.call('POST', '/api/repls', { cookie, body: { stack: 'node' } })).status, 201);
  });

  it('signs a disabled account out of every session at once, and refuses it at sign-in', async () => {
    await t.user('carol@example.com');
    const sessions = [setCookie(await signIn('carol@example.com')).value, setCookie(await signIn('carol@example.com')).value];
    for (const cookie of sessions) assert.equal((await t.call('GET', '/api/me', { cookie })).status, 200);
    const carol = (await t.codeyard.portal.auth.accounts.byEmail('carol@example.com'))!;
    assert.equal(await t.codeyard.portal.auth.accounts.setDisabled(carol.id, true), true);
    for (const cookie of sessions) assertError(await t.call('GET', '/api/me', { cookie }), 401, 'UNAUTHENTICATED', /disabled/);
    assertError(await signIn('carol@example.com'), 403, 'FORBIDDEN', /disabled: ask an admin/);
    // Enabled again, the old sessions stay revoked: only a new sign-in gets back in.
    await t.codeyard.portal.auth.accounts.setDisabled(carol.id, false);
    for (const cookie of sessions) assert.equal((await t.call('GET', '/api/me', { cookie })).status, 401);
    assert.equal((await signIn('carol@example.com')).status, 200);
  });
});

describe('sign-in rate limits', () => {
  it('limits attempts per client address, with Retry-After; a forged X-Forwarded-For changes nothing without a trusted proxy', async () => {
    const t = await portalWith({ CODEYARD_RATE_SIGNINS_PER_MINUTE: '3' });
    try {
      const attempt = (i: number) => t.call('POST', '/api/auth/signin', { body: { email: `x${i}@example.com`, password: 'wrong password' }, headers: { 'x-forwarded-for': `203.0.113.${i}` } });
      for (let i = 0; i < 3; i++) assert.equal((await attempt(i)).status, 401);
      const limited = await attempt(3);
      assertError(limited, 429, 'RATE_LIMITED', /too many sign-in attempts from this address; try again in \d+ s/);
      assert.match(String(limited.headers['retry-after']), /^\d+$/);
    } finally {
      await t.close();
    }
  });

  it('behind a trusted proxy, counts each visitor apart, and each account from every address together', async () => {
    const t = await portalWith({ CODEYARD_TRUSTED_PROXIES: '127.0.0.1', CODEYARD_RATE_SIGNINS_PER_MINUTE: '2', CODEYARD_RATE_SIGNINS_PER_ACCOUNT_PER_HOUR: '3' });
    try {
      await t.user('victim@example.com');
      const attempt = (from: string, email: string, pass = 'wrong password') => t.call('POST', '/api/auth/signin', { body: { email, password: pass }, headers: { 'x-forwarded-for': from } });
      // Two visitors behind the proxy: each has its own two attempts a minute.
      for (const from of ['198.51.100.1', '198.51.100.2']) for (let i = 0; i < 2; i++) assert.equal((await attempt(from, `nobody${i}@example.com`)).status, 401);
      assertError(await attempt('198.51.100.1', 'nobody@example.com'), 429, 'RATE_LIMITED', /from this address/);
      // One account guessed at from many addresses: the account's own limit (3 at once here) holds.
      for (let i = 0; i < 3; i++) assert.equal((await attempt(`192.0.2.${i}`, 'victim@example.com')).status, 401);
      assertError(await attempt('192.0.2.99', 'VICTIM@example.com', password), 429, 'RATE_LIMITED', /too many sign-in attempts for VICTIM@example.com/);
      // Another account is not held up by it.
      await t.user('other@example.com');
      assert.equal((await attempt('192.0.2.100', 'other@example.com', password)).status, 200);
    } finally {
      await t.close();
    }
  });

  it('limits new accounts per address', async () => {
    const t = await portalWith({ CODEYARD_RATE_SIGNUPS_PER_HOUR: '2' });
    try {
      const signUp = (i: number) => t.call('POST', '/api/auth/signup', { body: { email: `new${i}@example.com`, password, name: 'N' } });
      for (let i = 0; i < 2; i++) assert.equal((await signUp(i)).status, 201);
      assertError(await signUp(2), 429, 'RATE_LIMITED', /too many new accounts from this address/);
    } finally {
      await t.close();
    }
  });
});

describe('session cookies behind https', () => {
  it('are __Host- cookies: Secure, host-only, Path=/, HttpOnly, SameSite=Lax, for CODEYARD_SIGNIN_DAYS', async () => {
    const t = await portalWith({ CODEYARD_PUBLIC_SCHEME: 'https', CODEYARD_SIGNIN_DAYS: '2' });
    try {
      await t.user('dana@example.com');
      const res = await t.call('POST', '/api/auth/signin', { body: { email: 'dana@example.com', password }, headers: { origin: t.origin } });
      assert.equal(t.origin.startsWith('https://'), true);
      const cookie = setCookie(res, '__Host-codeyard_token');
      assert.deepEqual(cookie.attributes, { path: '/', httponly: true, samesite: 'Lax', 'max-age': String(2 * 24 * 3600), secure: true });
      assert.equal(cookie.attributes.domain, undefined, 'host-only');
    } finally {
      await t.close();
    }
  });
});
