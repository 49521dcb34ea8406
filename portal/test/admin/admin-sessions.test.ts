import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent, AuditPage } from '@codeyard/common/api/admin';
import { assertError, type AuthPortal, recordsTargets, setCookie, startAuthPortal } from '../helpers/auth-portal.js';

const password = 'correct horse battery';

/**
 * The admin API as browsers signed in with a password meet it (accounts mode, open sign-up): an
 * admin's session reaches it, a member's does not; cookie changes only from the portal's page;
 * sign-ins, failed sign-ins and sign-outs in the audit log; disabling signs a member out of
 * their browser at once; an admin's browser opens a member's IDE, recorded. The real portal
 * over loopback with the MemoryRuntime double; SQLite, and PostgreSQL when one is given.
 */
for (const records of recordsTargets('admin_sessions')) {
  describe(`admin with browser sessions (${records.name}; MemoryRuntime)`, () => {
    let t: AuthPortal;
    let admin: string;
    let member: string;
    let memberId: string;
    const audit = async (query: string): Promise<AuditEvent[]> => {
      const res = await t.call('GET', `/api/admin/audit?${query}`, { cookie: admin });
      assert.equal(res.status, 200, res.body);
      return res.json<AuditPage>().events;
    };

    before(async () => {
      t = await startAuthPortal({ CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'open' }, { records });
      // The first account of a server is its admin.
      const first = await t.call('POST', '/api/auth/signup', { body: { email: 'ada@example.com', password, name: 'Ada' } });
      assert.equal(first.json().role, 'admin', first.body);
      admin = setCookie(first).value;
      const second = await t.call('POST', '/api/auth/signup', { body: { email: 'mo@example.com', password, name: 'Mo' } });
      member = setCookie(second).value;
      memberId = second.json().id;
    });
    after(async () => {
      await t?.close();
      await records.drop();
    });

    it("lets an admin's session read and change, and refuses a member's session", async () => {
      assert.equal((await t.call('GET', '/api/admin/users', { cookie: admin })).status, 200);
      assertError(await t.call('GET', '/api/admin/users', { cookie: member }), 403, 'FORBIDDEN', /admins only: this account is a member/);
      assertError(await t.call('GET', '/api/admin/audit', { cookie: member }), 403, 'FORBIDDEN');
      assertError(await t.call('POST', `/api/admin/repls/abcdefghijkl/stop`, { cookie: member, body: {} }), 403, 'FORBIDDEN');
    });

    it("refuses an admin's cookie change from another origin or with none, as every cookie change is", async () => {
      const body = { role: 'teacher' };
      assertError(await t.call('PATCH', `/api/admin/users/${memberId}`, { cookie: admin, body, headers: { origin: 'http://evil.example' } }), 403, 'FORBIDDEN', /cross-origin/);
      assertError(await t.call('PATCH', `/api/admin/users/${memberId}`, { cookie: admin, body, sameOrigin: false }), 403, 'FORBIDDEN', /without an Origin/);
      assertError(await t.call('PUT', `/api/admin/users/${memberId}/limits`, { cookie: admin, body: { repls: 100 }, headers: { origin: 'http://evil.example' } }), 403, 'FORBIDDEN', /cross-origin/);
      assertError(await t.call('PUT', `/api/admin/users/${memberId}/limits`, { cookie: member, body: { repls: 100 } }), 403, 'FORBIDDEN', /admins only/);
      const changed = await t.call('PATCH', `/api/admin/users/${memberId}`, { cookie: admin, body });
      assert.equal(changed.status, 200, changed.body);
      const [event] = await audit(`kind=admin.role&account=${memberId}`);
      assert.equal(event?.credential, 'session', "the admin's session, by id");
      assert.match(event!.credentialId!, /^s[0-9a-f]{20}$/);
      assert.equal((await t.call('PATCH', `/api/admin/users/${memberId}`, { cookie: admin, body: { role: 'member' } })).status, 200);
    });

    it('records sign-ins, a failed sign-in (the address typed, never the password) and a sign-out', async () => {
      const wrong = await t.call('POST', '/api/auth/signin', { body: { email: 'mo@example.com', password: 'not the password' } });
      assert.equal(wrong.status, 401);
      const nobody = await t.call('POST', '/api/auth/signin', { body: { email: 'nobody@example.com', password } });
      assert.equal(nobody.status, 401);
      const again = setCookie(await t.call('POST', '/api/auth/signin', { body: { email: 'mo@example.com', password } })).value;
      assert.equal((await t.call('POST', '/api/auth/signout', { cookie: again })).status, 204);

      const failed = await audit('kind=signin.failed');
      assert.deepEqual(failed.map((e) => e.details.email), ['nobody@example.com', 'mo@example.com']);
      assert.ok(!JSON.stringify(failed).includes('not the password'), 'no password in the log');
      assert.ok(failed.every((e) => e.account === null && e.address === '127.0.0.1'));
      const mine = await audit(`account=${memberId}`);
      assert.deepEqual(mine.filter((e) => e.kind === 'signin' || e.kind === 'signout').map((e) => [e.kind, e.details.method ?? null]), [
        ['signout', null],
        ['signin', 'password'],
        ['signin', 'signup'],
      ]);
      const [signout, signin] = mine;
      assert.equal(signout?.credentialId, signin?.credentialId, 'the session that signed in is the one that signed out');
    });

    it("disables a member: their browser is signed out at once, and lists the member's last sign-in", async () => {
      const users = (await t.call('GET', '/api/admin/users', { cookie: admin })).json<{ users: Array<{ id: string; lastSignInAt: string | null }> }>().users;
      assert.ok(users.find((u) => u.id === memberId)?.lastSignInAt, 'a last sign-in from its sessions');
      assert.equal((await t.call('GET', '/api/repls', { cookie: member })).status, 200);
      assert.equal((await t.call('PATCH', `/api/admin/users/${memberId}`, { cookie: admin, body: { disabled: true } })).status, 200);
      assertError(await t.call('GET', '/api/repls', { cookie: member }), 401, 'UNAUTHENTICATED');
      const refused = await t.call('POST', '/api/auth/signin', { body: { email: 'mo@example.com', password } });
      assert.equal(refused.status, 403);
      const [failed] = await audit('kind=signin.failed');
      assert.deepEqual([failed?.details.reason, failed?.targetId], ['disabled', memberId]);
      assert.equal((await t.call('PATCH', `/api/admin/users/${memberId}`, { cookie: admin, body: { disabled: false } })).status, 200);
      member = setCookie(await t.call('POST', '/api/auth/signin', { body: { email: 'mo@example.com', password } })).value;
    });

    it("opens a member's IDE from an admin's browser, recorded with the admin's session", async () => {
      const repl = (await t.call('POST', '/api/repls', { cookie: member, body: { stack: 'node', name: 'homework' } })).json<{ id: string }>();
      const opened = await t.call('GET', `/open/${repl.id}`, { cookie: admin, sameOrigin: false, headers: { 'sec-fetch-site': 'same-origin' } });
      assert.equal(opened.status, 302, opened.body);
      assert.equal(new URL(opened.headers.location!).hostname, `${repl.id}.localhost`);
      const [event] = await audit('kind=admin.ide-open');
      assert.deepEqual([event?.credential, event?.targetId, event?.targetAccount], ['session', repl.id, memberId]);
      const fromElsewhere = await t.call('GET', `/open/${repl.id}`, { cookie: admin, sameOrigin: false, headers: { 'sec-fetch-site': 'same-site' } });
      assert.equal(fromElsewhere.status, 403, 'a link on a repl or preview host (same site) does not open it');
    });

    it("sets a member's password: the old one and the member's browsers are out, the new one signs in", async () => {
      const before = setCookie(await t.call('POST', '/api/auth/signin', { body: { email: 'mo@example.com', password } })).value;
      assertError(await t.call('PUT', `/api/admin/users/${memberId}/password`, { cookie: admin, body: { password: 'short' } }), 400, 'VALIDATION', /at least 8 characters/);
      const fresh = 'a brand new passphrase';
      const set = await t.call('PUT', `/api/admin/users/${memberId}/password`, { cookie: admin, body: { password: fresh } });
      assert.equal(set.status, 200, set.body);
      assertError(await t.call('GET', '/api/repls', { cookie: before }), 401, 'UNAUTHENTICATED');
      assert.equal((await t.call('POST', '/api/auth/signin', { body: { email: 'mo@example.com', password } })).status, 401, 'the old password');
      member = setCookie(await t.call('POST', '/api/auth/signin', { body: { email: 'mo@example.com', password: fresh } })).value;
      const [event] = await audit(`kind=admin.password&account=${memberId}`);
      assert.equal(event?.targetId, memberId);
      assert.ok(!JSON.stringify(await audit('limit=200')).includes(fresh), 'the password is in no event');
    });

    it('keeps the last admin: 409 when the only admin demotes or disables themselves', async () => {
      const me = (await t.call('GET', '/api/me', { cookie: admin })).json<{ id: string }>();
      assertError(await t.call('PATCH', `/api/admin/users/${me.id}`, { cookie: admin, body: { role: 'member' } }), 409, 'LAST_ADMIN');
      assertError(await t.call('PATCH', `/api/admin/users/${me.id}`, { cookie: admin, body: { disabled: true } }), 409, 'LAST_ADMIN');
      assert.equal((await t.call('GET', '/api/admin/users', { cookie: admin })).status, 200, 'still an admin');
    });
  });
}
