import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, type AuthPortal, recordsTargets, setCookie, startAuthPortal } from '../helpers/auth-portal.js';

/**
 * Accounts mode (CODEYARD_AUTH=accounts) as a browser and a script meet it: the first admin's
 * invite printed at start, sign-up by invite / open / closed, sign-in, sign-out, invites, and
 * each account seeing only its own repls. The real portal over loopback with the MemoryRuntime
 * double; records on SQLite, and on PostgreSQL when CODEYARD_TEST_DATABASE_URL is set.
 */
for (const records of recordsTargets('auth_accounts')) {
  describe(`accounts mode (${records.name})`, () => {
    let t: AuthPortal;
    let admin: string;
    const password = 'correct horse battery';

    before(async () => {
      t = await startAuthPortal({ CODEYARD_AUTH: 'accounts' }, { records });
    });
    after(async () => {
      await t?.close();
      await records.drop();
    });

    const signUp = (body: Record<string, unknown>, cookie?: string) => t.call('POST', '/api/auth/signup', { body, ...(cookie ? { cookie } : {}) });
    const signIn = (email: string, pass = password, cookie?: string) => t.call('POST', '/api/auth/signin', { body: { email, password: pass }, ...(cookie ? { cookie } : {}) });
    const inviteToken = (url: string): string => new URL(url).searchParams.get('invite')!;

    it('prints an invite for the first account, which becomes the admin; nobody signs up without one', async () => {
      const first = t.codeyard.firstSignIn;
      assert.equal(first?.kind, 'admin-invite');
      assert.match(first!.url, new RegExp(`^${t.origin}/signup\\?invite=cyi_[A-Za-z0-9_-]{43}$`));
      assertError(await signUp({ email: 'someone@example.com', password, name: 'Someone' }), 403, 'FORBIDDEN', /by invitation: ask an admin or teacher/);
      const res = await signUp({ email: 'Admin@Example.com', password, name: 'Ada', invite: inviteToken(first!.url) });
      assert.equal(res.status, 201, res.body);
      assert.deepEqual({ ...res.json<Record<string, unknown>>(), id: undefined }, { id: undefined, email: 'Admin@Example.com', name: 'Ada', role: 'admin', anonymous: false, authMode: 'accounts' });
      admin = setCookie(res).value;
      assert.match(admin, /^cys_[A-Za-z0-9_-]{43}$/);
      const me = await t.call('GET', '/api/me', { cookie: admin });
      assert.equal(me.json().role, 'admin');
      assertError(await signUp({ email: 'again@example.com', password, name: 'Again', invite: inviteToken(first!.url) }), 404, 'NOT_FOUND', /used already, has expired/);
    });

    it('prints nothing at the next start: the server has an admin', async () => {
      const again = await startAuthPortal({ CODEYARD_AUTH: 'accounts' }, { dataDir: t.dataDir, records });
      try {
        assert.equal(again.codeyard.firstSignIn, undefined);
      } finally {
        await again.close();
      }
    });

    it('tells a caller without a session how to sign in, and has no anonymous accounts', async () => {
      const res = await t.call('GET', '/api/repls', { sameOrigin: false });
      assertError(res, 401, 'UNAUTHENTICATED', new RegExp(`sign in at ${t.origin}/signin`));
      assert.deepEqual(res.json().error.details, { authMode: 'accounts', signIn: `${t.origin}/signin` });
      assertError(await t.call('POST', '/api/session'), 403, 'FORBIDDEN', /no anonymous accounts .*sign in at/);
      assert.deepEqual((await t.call('GET', '/api/auth/options', { sameOrigin: false })).json(), { authMode: 'accounts', signup: 'invite', providers: [] });
    });

    it('lets an admin invite a member for one address, once; the member sees only their own repls', async () => {
      const created = await t.call('POST', '/api/repls', { cookie: admin, body: { stack: 'node', name: 'admin only' } });
      assert.equal(created.status, 201, created.body);
      const adminRepl = created.json().id as string;

      const invite = await t.call('POST', '/api/invites', { cookie: admin, body: { email: 'Member@Example.com' } });
      assert.equal(invite.status, 201, invite.body);
      assert.equal(invite.json().role, 'member');
      assert.equal(invite.json().email, 'Member@Example.com');
      const token = inviteToken(invite.json().url);
      assert.deepEqual((await t.call('GET', `/api/auth/invite?invite=${token}`, { sameOrigin: false })).json().email, 'Member@Example.com');
      assertError(await signUp({ email: 'other@example.com', password, name: 'Mallory', invite: token }), 403, 'FORBIDDEN', /this invite is for Member@Example.com/);
      assertError(await signUp({ email: 'member@example.com', password: 'short', name: 'Mia', invite: token }), 400, 'VALIDATION', /at least 8 characters/);
      const joined = await signUp({ email: 'member@example.com', password, name: 'Mia', invite: token });
      assert.equal(joined.status, 201, 'the refusals above left the invite usable: ' + joined.body);
      assert.equal(joined.json().role, 'member');
      assert.equal((await t.codeyard.portal.auth.accounts.byEmail('MEMBER@example.com'))?.emailVerified, true, 'an invite for this address verified it');
      const member = setCookie(joined).value;

      assert.deepEqual((await t.call('GET', '/api/repls', { cookie: member })).json(), []);
      assertError(await t.call('GET', `/api/repls/${adminRepl}`, { cookie: member }), 404, 'NOT_FOUND');
      assertError(await t.call('POST', `/api/repls/${adminRepl}/start`, { cookie: member }), 404, 'NOT_FOUND');
      assertError(await t.call('POST', '/api/invites', { cookie: member, body: {} }), 403, 'FORBIDDEN', /only admins and teachers may invite people; this account is a member/);
      assertError(await signUp({ email: 'member2@example.com', password, name: 'Twice', invite: token }), 404, 'NOT_FOUND');
      assertError(await t.call('POST', '/api/invites', { cookie: admin, body: { email: 'MEMBER@example.com' } }), 409, 'CONFLICT', /has an account here already/);
    });

    it('lets a teacher invite, refuses an expired invite and malformed input', async () => {
      const teacher = await t.codeyard.portal.auth.accounts.createUser({ email: 'teacher@example.com', emailVerified: true, name: 'Tess', role: 'teacher', password });
      const cookie = setCookie(await signIn('teacher@example.com')).value;
      const invite = await t.call('POST', '/api/invites', { cookie, body: { expiresInDays: 1 } });
      assert.equal(invite.status, 201, invite.body);
      assert.equal(invite.json().email, null, 'an invite for whoever holds the link');
      assert.ok(Date.parse(invite.json().expiresAt) - Date.now() <= 24 * 3600_000);
      const expired = await t.codeyard.portal.auth.invites.create({ createdBy: teacher.id, role: 'member', ttlMs: -1 });
      assertError(await signUp({ email: 'late@example.com', password, name: 'Late', invite: expired.token }), 404, 'NOT_FOUND', /has expired/);
      assertError(await t.call('POST', '/api/invites', { cookie, body: { expiresInDays: 90 } }), 400, 'VALIDATION');
      assertError(await t.call('POST', '/api/invites', { cookie, body: { email: 'not an email' } }), 400, 'VALIDATION', /not an email address/);
      assertError(await t.call('POST', '/api/invites', { cookie, body: { role: 'admin' } }), 400, 'VALIDATION', /unknown field "role"/);
      assertError(await signUp({ email: 'x@example.com', password, name: 'X', invite: 'cyi_nonsense' }), 404, 'NOT_FOUND');
    });

    it('signs in with the right password only, in any capitalization of the address', async () => {
      assertError(await signIn('member@example.com', 'wrong password'), 401, 'UNAUTHENTICATED', /email or password is wrong/);
      assertError(await signIn('nobody@example.com'), 401, 'UNAUTHENTICATED', /email or password is wrong/);
      const res = await signIn('MEMBER@EXAMPLE.COM');
      assert.equal(res.status, 200, res.body);
      assert.equal(res.json().email, 'member@example.com', 'as typed at sign-up');
      const cookie = setCookie(res);
      assert.deepEqual(
        { httponly: cookie.attributes.httponly, samesite: cookie.attributes.samesite, path: cookie.attributes.path, secure: cookie.attributes.secure, maxAge: cookie.attributes['max-age'] },
        { httponly: true, samesite: 'Lax', path: '/', secure: undefined, maxAge: String(30 * 24 * 3600) },
      );
      assertError(await signUp({ email: 'member@EXAMPLE.com', password, name: 'Dup' }), 403, 'FORBIDDEN', /by invitation/);
    });

    it('signs out: the session is revoked on the server, not only forgotten by the browser', async () => {
      const cookie = setCookie(await signIn('member@example.com')).value;
      assert.equal((await t.call('GET', '/api/me', { cookie })).status, 200);
      assertError(await t.call('POST', '/api/auth/signout', { cookie, sameOrigin: false }), 403, 'FORBIDDEN', /cookie-authenticated change without an Origin/);
      const out = await t.call('POST', '/api/auth/signout', { cookie });
      assert.equal(out.status, 204, out.body);
      assert.deepEqual(setCookie(out), { value: '', attributes: { path: '/', httponly: true, samesite: 'Lax', 'max-age': '0' } });
      assertError(await t.call('GET', '/api/me', { cookie }), 401, 'UNAUTHENTICATED', /no longer valid/);
      assertError(await t.call('POST', '/api/auth/signout', { headers: { authorization: `Bearer ${cookie}` } }), 400, 'BAD_REQUEST', /DELETE \/api\/tokens\/current/);
    });
  });
}

describe('accounts mode with open and closed sign-up', () => {
  it('open: anyone signs up, as a member once there is an admin; the first one is the admin', async () => {
    const t = await startAuthPortal({ CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'open' });
    try {
      const body = (email: string) => ({ body: { email, password: 'long enough pw', name: 'N' } });
      const first = await t.call('POST', '/api/auth/signup', body('first@example.com'));
      assert.equal(first.status, 201, first.body);
      assert.equal(first.json().role, 'admin');
      const second = await t.call('POST', '/api/auth/signup', body('second@example.com'));
      assert.equal(second.json().role, 'member');
      assert.equal((await t.codeyard.portal.auth.accounts.byEmail('second@example.com'))?.emailVerified, false, 'an open sign-up proves nothing about the address');
      assertError(await t.call('POST', '/api/auth/signup', body('SECOND@example.com')), 409, 'CONFLICT', /exists already: sign in instead/);
      assertError(await t.call('POST', '/api/auth/signup', body('no-at-sign')), 400, 'VALIDATION', /not an email address/);
      assertError(await t.call('POST', '/api/auth/signup', { body: { email: 'pw@example.com', password: 'pw@example.com', name: 'P' } }), 400, 'VALIDATION', /must not be your email/);
    } finally {
      await t.close();
    }
  });

  it('closed: no sign-up and no invites, but the first admin still gets in with the printed invite', async () => {
    const t = await startAuthPortal({ CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'closed' });
    try {
      assertError(await t.call('POST', '/api/auth/signup', { body: { email: 'a@example.com', password: 'long enough pw', name: 'A' } }), 403, 'FORBIDDEN', /sign-up is closed/);
      const invite = new URL(t.codeyard.firstSignIn!.url).searchParams.get('invite')!;
      const first = await t.call('POST', '/api/auth/signup', { body: { email: 'a@example.com', password: 'long enough pw', name: 'A', invite } });
      assert.equal(first.status, 201, first.body);
      assert.equal(first.json().role, 'admin');
      const cookie = setCookie(first).value;
      assertError(await t.call('POST', '/api/invites', { cookie, body: {} }), 403, 'FORBIDDEN', /sign-up is closed .* so an invite could not be used/);
    } finally {
      await t.close();
    }
  });
});
