import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AdminUser } from '@codeyard/common/api/admin';
import { assertError, DIALECTS, startTokenPortal, type TokenPortal } from '../tokens/token-portal.js';
import { auditEvents, makeUser, ok, type TestUser, tokenOf } from './admin-portal.js';

for (const dialect of DIALECTS) {
  /**
   * An account's own limits, set by an admin (PUT /api/admin/users/:id/limits): shown in the
   * users list, checked at once when the account makes or starts a repl, recorded, bounded, and
   * out of reach of anyone but an admin. The real portal and database; the runtime and store are
   * the doubles MemoryRuntime and MemoryStore. The server's defaults here: 4 repls, 3 running.
   */
  describe(`admin: an account's own limits (${dialect.name}; MemoryRuntime, MemoryStore)`, { skip: dialect.skip }, () => {
    let t: TokenPortal;
    let admin: TestUser;
    let member: TestUser;
    const limitsUrl = (id: string) => `/api/admin/users/${id}/limits`;
    const setLimits = async (id: string, body: object): Promise<AdminUser> => ok<AdminUser>(await t.call({ bearer: admin.token }, 'PUT', limitsUrl(id), body));
    const create = (who: TestUser, name: string) => t.call({ bearer: who.token }, 'POST', '/api/repls', { stack: 'node', name });
    const newRepl = async (who: TestUser, name: string): Promise<string> => ok<{ id: string }>(await create(who, name), 201).id;

    before(async () => {
      t = await startTokenPortal(dialect.name, { CODEYARD_MAX_REPLS_PER_ACCOUNT: '4', CODEYARD_MAX_RUNNING_PER_ACCOUNT: '3' });
      admin = await makeUser(t, 'admin');
      member = await makeUser(t, 'member');
    });
    after(async () => t?.close());

    it('lists every account with the limits in effect and no override by default', async () => {
      const user = ok<AdminUser>(await t.call({ bearer: admin.token }, 'GET', `/api/admin/users/${member.id}`));
      assert.deepEqual(user.limits, { repls: { value: 4, override: null }, running: { value: 3, override: null } });
    });

    it("refuses a member's second repl once the admin lowers its repl limit to 1, and the default is back after a reset", async () => {
      const first = await newRepl(member, 'first');
      const lowered = await setLimits(member.id, { repls: 1 });
      assert.deepEqual(lowered.limits.repls, { value: 1, override: 1 });
      assert.deepEqual(lowered.limits.running, { value: 3, override: null }, 'a field left out stays as it was');
      assertError(await create(member, 'second'), 409, 'LIMIT_REACHED', /has 1 repl.*the most it may have/);
      assert.deepEqual((await t.call({ bearer: member.token }, 'GET', '/api/me')).json().limits, { repls: 1, running: 3 }, 'the member sees its own limits');
      // Forks and imports count against the same limit.
      assertError(await t.call({ bearer: member.token }, 'POST', `/api/repls/${first}/fork`, {}), 409, 'LIMIT_REACHED');
      assert.deepEqual((await t.call({ bearer: member.token }, 'GET', '/api/repls')).json().length, 1);

      const reset = await setLimits(member.id, { repls: null });
      assert.deepEqual(reset.limits.repls, { value: 4, override: null });
      for (const name of ['second', 'third', 'fourth']) await newRepl(member, name);
      assertError(await create(member, 'fifth'), 409, 'LIMIT_REACHED', /has 4 repls/, 'the default (4) holds again');
      for (const repl of (await t.call({ bearer: member.token }, 'GET', '/api/repls')).json<Array<{ id: string }>>()) {
        assert.equal((await t.call({ bearer: member.token }, 'DELETE', `/api/repls/${repl.id}`)).statusCode, 204);
      }
    });

    it('lets a fourth repl start once the running limit is raised to 4, and refuses it again at the default', async () => {
      await setLimits(member.id, { repls: 10 });
      const ids = [];
      for (const name of ['a', 'b', 'c', 'd']) ids.push(await newRepl(member, name));
      const start = (id: string) => t.call({ bearer: member.token }, 'POST', `/api/repls/${id}/start`);
      for (const id of ids.slice(0, 3)) ok(await start(id));
      assertError(await start(ids[3]!), 409, 'LIMIT_REACHED', /may run 3 repls at once \(the running limit\)/);

      assert.deepEqual((await setLimits(member.id, { running: 4 })).limits.running, { value: 4, override: 4 });
      ok(await start(ids[3]!));
      assert.equal((await t.call({ bearer: admin.token }, 'GET', `/api/admin/users/${member.id}`)).json<AdminUser>().running, 4);

      ok(await t.call({ bearer: member.token }, 'POST', `/api/repls/${ids[3]}/stop`));
      await setLimits(member.id, { running: null, repls: null });
      assertError(await start(ids[3]!), 409, 'LIMIT_REACHED', /may run 3 repls at once/, 'the default (3) holds again');
      for (const id of ids) ok(await t.call({ bearer: member.token }, 'POST', `/api/repls/${id}/stop`));
    });

    it('records each change in the audit log: who, whose account, what was asked and what is in effect', async () => {
      await setLimits(member.id, { repls: 7, running: 2 });
      await setLimits(member.id, { repls: null, running: null });
      const events = await auditEvents(t, admin.token, `kind=admin.limits&account=${member.id}`);
      const [reset, set] = events;
      assert.deepEqual(set?.details, { set: { repls: 7, running: 2 }, limits: { repls: 7, running: 2 } });
      assert.deepEqual(reset?.details, { set: { repls: null, running: null }, limits: { repls: 4, running: 3 } }, 'newest first');
      assert.deepEqual([set?.account, set?.targetType, set?.targetId], [admin.id, 'account', member.id]);
    });

    it('refuses limits out of bounds, of the wrong type, unknown fields and an empty change with a 400 naming the field', async () => {
      const put = (body: unknown) => t.call({ bearer: admin.token }, 'PUT', limitsUrl(member.id), body);
      assertError(await put({ repls: 0 }), 400, 'VALIDATION', /repls must be >= 1/);
      assertError(await put({ running: 10_001 }), 400, 'VALIDATION', /running must be <= 10000/);
      assertError(await put({ running: 1.5 }), 400, 'VALIDATION', /running must be integer/);
      assertError(await put({ repls: { value: 3 } }), 400, 'VALIDATION', /repls must be integer/);
      assertError(await put({ disk: 5 }), 400, 'VALIDATION', /unknown field "disk"/);
      assertError(await put({}), 400, 'VALIDATION');
      assertError(await t.call({ bearer: admin.token }, 'PUT', limitsUrl('u0123456789abcdef0123'), { repls: 2 }), 404, 'NOT_FOUND');
      assert.deepEqual((await t.call({ bearer: admin.token }, 'GET', `/api/admin/users/${member.id}`)).json<AdminUser>().limits.repls.override, null, 'nothing changed');
    });

    it('refuses the change to members (their own limits too), teachers, read-only tokens and tokens without admin (403)', async () => {
      const teacher = await makeUser(t, 'teacher');
      const callers: Array<[string, string]> = [
        ['the member itself', member.token],
        ['a teacher', teacher.token],
        ["an admin's read-only token", await tokenOf(t, admin.id, ['read'])],
        ["an admin's token without the admin scope", await tokenOf(t, admin.id, ['read', 'write'])],
        ["an admin's token with admin but not write", await tokenOf(t, admin.id, ['read', 'admin'])],
      ];
      for (const [who, bearer] of callers) assertError(await t.call({ bearer }, 'PUT', limitsUrl(member.id), { repls: 100 }), 403, 'FORBIDDEN', undefined, who);
      assert.equal((await t.call({ bearer: admin.token }, 'GET', `/api/admin/users/${member.id}`)).json<AdminUser>().limits.repls.override, null);
    });
  });
}
