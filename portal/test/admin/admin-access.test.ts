import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { type Caller, DIALECTS, startTokenPortal, type TokenPortal } from '../tokens/token-portal.js';
import { makeUser, ok, type TestUser, tokenOf } from './admin-portal.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

for (const dialect of DIALECTS) {
  /**
   * Who may reach /api/admin/ (api/admin-auth.ts), on every admin route the portal has and on
   * an admin path that matches none: only an admin account's credential with the `admin` scope
   * (and `write` for a change), or the machine's admin token. Real portal and database; the
   * runtime and store are the doubles MemoryRuntime and MemoryStore.
   */
  describe(`who may reach the admin routes (${dialect.name}; MemoryRuntime, MemoryStore)`, { skip: dialect.skip }, () => {
    let t: TokenPortal;
    let admin: TestUser;
    let member: TestUser;
    let teacher: TestUser;
    const routes = (): Array<[InjectOptions['method'], string]> =>
      [...t.codeyard.portal.app.adminRoutes, 'GET /api/admin/no-such-route', 'POST /api/admin/no-such-route'].map((route) => {
        const [method, pattern] = route.split(' ') as [InjectOptions['method'], string];
        // Well-formed ids (an account's, a repl's), so a refusal is about the caller, not the path.
        return [method, pattern.replace(':id', pattern.includes('/repls/') ? 'abcdefghijkl' : 'u0123456789abcdef0123')];
      });
    const bodyFor = (method: string) => (SAFE.has(method) ? undefined : {});

    before(async () => {
      t = await startTokenPortal(dialect.name);
      admin = await makeUser(t, 'admin');
      member = await makeUser(t, 'member');
      teacher = await makeUser(t, 'teacher');
    });
    after(async () => t?.close());

    it('refuses every admin route to a caller with no credential (401) or an unknown one (401)', async () => {
      assert.ok(routes().length > 8, 'the portal has admin routes');
      for (const [method, url] of routes()) {
        const none = await t.call({}, method, url, bodyFor(method!));
        assert.equal(none.statusCode, 401, `${method} ${url} with nothing: ${none.body}`);
        assert.match(none.json().error.message, /admin/);
        for (const bearer of ['y'.repeat(43), `cyp_${'A'.repeat(43)}`, t.codeyard.adminToken.slice(0, -1)]) {
          const res = await t.call({ bearer }, method, url, bodyFor(method!));
          assert.equal(res.statusCode, 401, `${method} ${url} with ${bearer.slice(0, 6)}…: ${res.body}`);
        }
      }
    });

    it('refuses members, teachers, read-only tokens and tokens without admin (403), on every admin route', async () => {
      const legacyMember = await t.session();
      const adminReadOnly = await tokenOf(t, admin.id, ['read']);
      const adminNoAdminScope = await tokenOf(t, admin.id, ['read', 'write']);
      const callers: Array<[string, Caller]> = [
        ["a member's API token", { bearer: member.token }],
        ["a teacher's API token", { bearer: teacher.token }],
        ['an anonymous account (cy_ bearer)', { bearer: legacyMember }],
        ['an anonymous account (cookie, from the portal page)', { cookie: legacyMember }],
        ["an admin's read-only token", { bearer: adminReadOnly }],
        ["an admin's token without the admin scope", { bearer: adminNoAdminScope }],
      ];
      for (const [method, url] of routes()) {
        for (const [what, caller] of callers) {
          const res = await t.call(caller, method, url, bodyFor(method!));
          assert.equal(res.statusCode, 403, `${method} ${url} with ${what}: ${res.body}`);
          assert.equal(res.json().error.code, 'FORBIDDEN');
        }
      }
      const said = (await t.call({ bearer: member.token }, 'GET', '/api/admin/users')).json().error.message;
      assert.match(said, /admins only: this account is a member/);
      assert.match((await t.call({ bearer: adminNoAdminScope }, 'GET', '/api/admin/users')).json().error.message, /no admin scope/);
    });

    it("lets an admin's token with admin but not write read, and refuses its changes naming write", async () => {
      const readAdmin = await tokenOf(t, admin.id, ['read', 'admin']);
      ok(await t.call({ bearer: readAdmin }, 'GET', '/api/admin/users'));
      ok(await t.call({ bearer: readAdmin }, 'GET', '/api/admin/server'));
      const change = await t.call({ bearer: readAdmin }, 'PATCH', `/api/admin/users/${member.id}`, { role: 'teacher' });
      assert.equal(change.statusCode, 403, change.body);
      assert.match(change.json().error.message, /needs `write`/);
      assert.equal(change.json().error.details.missingScope, 'write');
    });

    it('lets an admin account and the admin token through', async () => {
      ok(await t.call({ bearer: admin.token }, 'GET', '/api/admin/users'));
      ok(await t.call({ bearer: t.codeyard.adminToken }, 'GET', '/api/admin/users'));
      // A cookie never carries the admin token, even one holding it.
      assert.equal((await t.call({ cookie: t.codeyard.adminToken }, 'GET', '/api/admin/users')).statusCode, 401);
    });

    it('takes admin away at once from an admin made a member, and shuts a disabled admin out', async () => {
      const other = await makeUser(t, 'admin');
      ok(await t.call({ bearer: other.token }, 'GET', '/api/admin/users'));
      ok(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${other.id}`, { role: 'member' }));
      assert.equal((await t.call({ bearer: other.token }, 'GET', '/api/admin/users')).statusCode, 403, 'the same token, no longer an admin');
      ok(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${other.id}`, { role: 'admin' }));
      ok(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${other.id}`, { disabled: true }));
      const out = await t.call({ bearer: other.token }, 'GET', '/api/admin/users');
      assert.equal(out.statusCode, 401, out.body);
      assert.match(out.json().error.message, /disabled/);
    });
  });
}
