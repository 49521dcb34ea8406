import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AdminUser, AdminUsers, ServerSettings } from '@codeyard/common/api/admin';
import type { Server } from '@codeyard/common/api/models';
import { hashToken } from '../../src/accounts/accounts.js';
import { assertError, DIALECTS, startTokenPortal, type TokenPortal } from '../tokens/token-portal.js';
import { auditEvents, makeUser, ok, type TestUser } from './admin-portal.js';

for (const dialect of DIALECTS) {
  /**
   * The admin page's API on the real database: users (list, role, disable, allowance), stopping
   * anyone's repl, the settings view, and the rule that the last admin stays. The runtime and
   * store are the doubles MemoryRuntime and MemoryStore.
   */
  describe(`admin: users, repls and settings (${dialect.name}; MemoryRuntime, MemoryStore)`, { skip: dialect.skip }, () => {
    let t: TokenPortal;
    let admin: TestUser;
    let member: TestUser;

    const runningRepl = async (owner: TestUser, name: string): Promise<string> => {
      const repl = ok<{ id: string }>(await t.call({ bearer: owner.token }, 'POST', '/api/repls', { stack: 'node', name }), 201);
      ok(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${repl.id}/start`));
      return repl.id;
    };
    const user = async (id: string): Promise<AdminUser> => ok<AdminUser>(await t.call({ bearer: admin.token }, 'GET', `/api/admin/users/${id}`));

    before(async () => {
      t = await startTokenPortal(dialect.name);
      admin = await makeUser(t, 'admin');
      member = await makeUser(t, 'member');
    });
    after(async () => t?.close());

    it('lists accounts with their address, role, repls, running repls, last sign-in and allowance; finds them by address', async () => {
      await runningRepl(member, 'listed');
      const signedInAt = new Date(t.clock.now - 3600_000).toISOString();
      await t.database.sessions.insert(hashToken(`cys_listed_${dialect.name}`), { id: `s-listed-${member.id}`, accountId: member.id, createdAt: signedInAt, lastSeenAt: signedInAt, expiresAt: t.clock.now + 3600_000 });
      const anonymous = await t.session();
      const page = ok<AdminUsers>(await t.call({ bearer: admin.token }, 'GET', '/api/admin/users'));
      const shown = page.users.find((u) => u.id === member.id)!;
      assert.equal(shown.email, member.email);
      assert.equal(shown.role, 'member');
      assert.equal(shown.repls, 1);
      assert.equal(shown.running, 1);
      assert.equal(shown.lastSignInAt, signedInAt);
      assert.deepEqual(shown.alwaysOn, { allowance: 1, override: null });
      assert.ok(page.users.some((u) => u.anonymous), 'anonymous accounts are listed too');
      assert.ok(page.total >= 3);
      assert.ok(anonymous);

      const found = ok<AdminUsers>(await t.call({ bearer: admin.token }, 'GET', `/api/admin/users?q=${encodeURIComponent(member.email.toUpperCase().slice(0, 12))}`));
      assert.deepEqual(found.users.map((u) => u.id), [member.id], 'by part of the address, any case');
      const people = ok<AdminUsers>(await t.call({ bearer: admin.token }, 'GET', '/api/admin/users?anonymous=false'));
      assert.ok(people.users.every((u) => !u.anonymous));
      // LIKE's wildcards are text here: a % finds nobody rather than everybody.
      assert.equal(ok<AdminUsers>(await t.call({ bearer: admin.token }, 'GET', '/api/admin/users?q=%25')).total, 0);
    });

    it("changes a role and records who did it, with what credential, from where, and from what to what", async () => {
      const teacher = await makeUser(t, 'member');
      const changed = ok<AdminUser>(await t.call({ bearer: admin.token, address: '203.0.113.7' }, 'PATCH', `/api/admin/users/${teacher.id}`, { role: 'teacher' }));
      assert.equal(changed.role, 'teacher');
      const [event] = await auditEvents(t, admin.token, `kind=admin.role&account=${teacher.id}`);
      assert.ok(event, 'recorded');
      assert.equal(event.account, admin.id);
      assert.equal(event.accountEmail, admin.email);
      assert.equal(event.credential, 'token');
      assert.match(event.credentialId!, /^t[0-9a-f]{20}$/);
      assert.deepEqual([event.targetType, event.targetId, event.targetAccount], ['account', teacher.id, teacher.id]);
      assert.equal(event.address, '203.0.113.7');
      assert.deepEqual(event.details, { from: 'member', to: 'teacher' });
    });

    it('never leaves the server without an admin: demoting or disabling the last one is a 409 saying why', async () => {
      const onlyAdmin = ok<AdminUsers>(await t.call({ bearer: admin.token }, 'GET', '/api/admin/users?anonymous=false')).users.filter((u) => u.role === 'admin' && !u.disabled);
      assert.deepEqual(onlyAdmin.map((u) => u.id), [admin.id], 'one admin to start with');
      for (const body of [{ role: 'member' }, { role: 'teacher' }, { disabled: true }, { role: 'member', disabled: true }]) {
        for (const bearer of [admin.token, t.codeyard.adminToken]) {
          const res = await t.call({ bearer }, 'PATCH', `/api/admin/users/${admin.id}`, body);
          assertError(res, 409, 'LAST_ADMIN', /only admin who can sign in.*Make another account admin first/, JSON.stringify(body));
        }
      }
      assert.equal((await user(admin.id)).role, 'admin');
      assert.equal((await user(admin.id)).disabled, false);

      // Both at once on someone else: both happen, each recorded.
      const both = await makeUser(t, 'member');
      const changed = ok<AdminUser>(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${both.id}`, { role: 'teacher', disabled: true }));
      assert.deepEqual([changed.role, changed.disabled], ['teacher', true]);
      assert.deepEqual((await auditEvents(t, admin.token, `account=${both.id}&kind=admin.`)).map((e) => e.kind).sort(), ['admin.disable', 'admin.role']);

      // With a second admin, either may step down; then the other is the last again.
      const second = await makeUser(t, 'admin');
      ok(await t.call({ bearer: second.token }, 'PATCH', `/api/admin/users/${second.id}`, { role: 'member' }));
      assertError(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${admin.id}`, { disabled: true }), 409, 'LAST_ADMIN');
    });

    it('lets only one of two admins demoting each other at once win', async () => {
      const [a, b] = [await makeUser(t, 'admin'), await makeUser(t, 'admin')];
      // Three admins (admin, a, b): a and b demote admin and each other at once; at least one stays.
      const results = await Promise.all([
        t.call({ bearer: a.token }, 'PATCH', `/api/admin/users/${b.id}`, { role: 'member' }),
        t.call({ bearer: b.token }, 'PATCH', `/api/admin/users/${a.id}`, { role: 'member' }),
        t.call({ bearer: t.codeyard.adminToken }, 'PATCH', `/api/admin/users/${admin.id}`, { role: 'member' }),
      ]);
      const statuses = results.map((r) => r.statusCode);
      const admins = ok<AdminUsers>(await t.call({ bearer: t.codeyard.adminToken }, 'GET', '/api/admin/users?anonymous=false&limit=500')).users.filter((u) => u.role === 'admin' && !u.disabled);
      assert.ok(admins.length >= 1, `an admin is left (answers ${statuses.join(', ')})`);
      // Put things back for the tests after this one.
      for (const id of [admin.id, a.id, b.id]) ok(await t.call({ bearer: t.codeyard.adminToken }, 'PATCH', `/api/admin/users/${id}`, { role: 'admin' }));
      for (const id of [a.id, b.id]) ok(await t.call({ bearer: t.codeyard.adminToken }, 'PATCH', `/api/admin/users/${id}`, { role: 'member' }));
    });

    it("disables an account: its sessions revoked, its tokens refused, its repls stopped; enabling lets it back in", async () => {
      const target = await makeUser(t, 'member');
      const replId = await runningRepl(target, 'to be stopped');
      const sessionId = `s-${target.id}`;
      await t.database.sessions.insert(hashToken(`cys_disable_${dialect.name}`), { id: sessionId, accountId: target.id, createdAt: new Date().toISOString(), lastSeenAt: new Date().toISOString(), expiresAt: t.clock.now + 3600_000 });

      const disabled = ok<AdminUser>(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${target.id}`, { disabled: true }));
      assert.equal(disabled.disabled, true);
      assert.equal(disabled.running, 0);
      assert.equal(t.codeyard.runtime.status(replId).state, 'stopped', 'its repl stopped');
      assert.equal((await t.database.sessions.byId(sessionId))?.revoked, true, 'its browser sessions revoked');
      const refused = await t.call({ bearer: target.token }, 'GET', '/api/repls');
      assertError(refused, 401, 'UNAUTHENTICATED', /disabled/);
      const [event] = await auditEvents(t, admin.token, `kind=admin.disable&account=${target.id}`);
      assert.deepEqual(event?.details, { stoppedRepls: [replId] });

      ok(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${target.id}`, { disabled: false }));
      ok(await t.call({ bearer: target.token }, 'GET', '/api/repls'));
      assert.equal((await auditEvents(t, admin.token, `kind=admin.enable&account=${target.id}`)).length, 1);
    });

    it('gives an anonymous account no role, and refuses unknown accounts and bad bodies naming the field', async () => {
      const anonymous = ok<AdminUsers>(await t.call({ bearer: admin.token }, 'GET', '/api/admin/users?anonymous=true')).users[0]!;
      assertError(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${anonymous.id}`, { role: 'admin' }), 409, 'CONFLICT', /anonymous account/);
      assertError(await t.call({ bearer: admin.token }, 'PUT', `/api/admin/users/${anonymous.id}/password`, { password: 'long enough password' }), 409, 'CONFLICT', /no address to sign in with/);
      assertError(await t.call({ bearer: admin.token }, 'PATCH', '/api/admin/users/u0123456789abcdef0123', { role: 'teacher' }), 404, 'NOT_FOUND');
      assertError(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${member.id}`, { role: 'owner' }), 400, 'VALIDATION', /role/);
      assertError(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${member.id}`, {}), 400, 'VALIDATION');
      assertError(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${member.id}`, { disabled: true, extra: 1 }), 400, 'VALIDATION', /extra/);
      assertError(await t.call({ bearer: admin.token }, 'GET', '/api/admin/users?limit=0'), 400, 'VALIDATION', /limit/);
      assertError(await t.call({ bearer: admin.token }, 'GET', '/api/admin/users/not-an-id'), 400, 'VALIDATION', /id/);
    });

    it("stops anyone's repl from the server list, and records it against the owner", async () => {
      const replId = await runningRepl(member, 'stop me');
      const server = ok<Server>(await t.call({ bearer: admin.token }, 'GET', '/api/admin/server'));
      const listed = server.repls.find((r) => r.id === replId);
      assert.equal(listed?.owner, member.id);
      assert.equal(listed?.ownerEmail, member.email);

      const stopped = ok<{ status: string }>(await t.call({ bearer: admin.token }, 'POST', `/api/admin/repls/${replId}/stop`, {}));
      assert.equal(stopped.status, 'stopped');
      assert.equal(t.codeyard.runtime.status(replId).state, 'stopped');
      const [event] = await auditEvents(t, admin.token, 'kind=admin.repl-stop');
      assert.deepEqual([event?.targetType, event?.targetId, event?.targetAccount, event?.account], ['repl', replId, member.id, admin.id]);
      assertError(await t.call({ bearer: admin.token }, 'POST', '/api/admin/repls/abcdefghijkl/stop', {}), 404, 'NOT_FOUND');
    });

    it("sets and resets an account's always-on allowance, recorded", async () => {
      ok(await t.call({ bearer: admin.token }, 'PUT', `/api/admin/accounts/${member.id}/always-on`, { allowance: 4 }));
      assert.deepEqual((await user(member.id)).alwaysOn, { allowance: 4, override: 4 });
      ok(await t.call({ bearer: admin.token }, 'DELETE', `/api/admin/accounts/${member.id}/always-on`));
      assert.deepEqual((await user(member.id)).alwaysOn, { allowance: 1, override: null });
      const events = await auditEvents(t, admin.token, `kind=admin.allowance&account=${member.id}`);
      assert.deepEqual(events.map((e) => e.details.override), [null, 4], 'newest first');
    });

    it('shows every setting in effect with its variables, secrets redacted', async () => {
      const { settings } = ok<ServerSettings>(await t.call({ bearer: admin.token }, 'GET', '/api/admin/settings'));
      const byKey = new Map(settings.map((s) => [s.key, s]));
      assert.equal(byKey.get('auditRetentionMs')?.value, 180 * 24 * 3600_000);
      assert.equal(byKey.get('auditRetentionMs')?.isDefault, true);
      assert.deepEqual(byKey.get('auditRetentionMs')?.variables.map((v) => v.name), ['CODEYARD_AUDIT_DAYS']);
      assert.equal(byKey.get('port')?.isDefault, true, 'PORT=8080 is the default');
      const text = JSON.stringify(settings);
      assert.ok(!text.includes(t.codeyard.adminToken), 'no admin token in it');
    });
  });
}
