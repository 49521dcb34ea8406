import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClassDetail, Joined } from '@codeyard/common/api/classes';
import type { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { assertError, DIALECTS, type TokenPortal } from '../tokens/token-portal.js';
import { joinAs, makeClass, makeUser, ok, startClassPortal, type TestUser } from './class-portal.js';

const MiB = 1024 * 1024;

interface ReplBody {
  id: string;
  alwaysOn: boolean;
  memoryLimitMb?: number;
}

/** Waits (bounded: 5 s, every 20 ms) until `check` holds. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`not within 5 s: ${what}`);
}

/**
 * A class's per-student limits applied, through the API on the real database and file store
 * (repls on MemoryRuntime, the runtime double, which keeps the spec each repl was started with;
 * the process sandbox's cgroup is checked for real in class-limits-sandbox.integration.test.ts).
 */
for (const dialect of DIALECTS) {
  describe(`a class's per-student limits, applied (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TokenPortal & { runtime: MemoryRuntime; storeDir: string };
    let teacher: TestUser;
    let admin: TestUser;
    before(async () => {
      t = await startClassPortal(dialect.name);
      [teacher, admin] = [await makeUser(t, 'teacher'), await makeUser(t, 'admin')];
    });
    after(() => t.close());

    const counts = async (): Promise<number[]> => [
      Number((await t.database.db.selectFrom('classes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
      Number((await t.database.db.selectFrom('repls').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
      fs.readdirSync(path.join(t.storeDir, 'objects'), { recursive: true }).map(String).filter((p) => /^(classes|workspaces)\/[^/]+$/.test(p)).length,
    ];

    it("gives every student repl the class's memory limit as its own: started with it, shown in its view, kept through the join and a reset; a plain repl has none", async () => {
      const detail = await makeClass(t, teacher, ['Ada', 'Bo'], { limits: { memoryMb: 512 } });
      assert.deepEqual(detail.limits, { memoryMb: 512 });
      for (const row of detail.students) assert.equal((await t.database.repls.get(row.replId))?.memoryMb, 512);
      const [ada, bo] = detail.students;
      // The teacher starts the class: each start hands the runtime the repl's own limit.
      assert.equal(ok<{ queued: number }>(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/start`, {}), 202).queued, 2);
      await until(() => detail.students.every((s) => t.runtime.status(s.replId).state === 'running'), 'the class runs');
      for (const row of detail.students) assert.equal(t.runtime.specOf(row.replId)?.memoryLimitBytes, 512 * MiB);
      // The admin's list of running repls shows each one's own limit.
      const server = ok<{ repls: Array<{ id: string; memoryLimitMb?: number }> }>(await t.call({ bearer: admin.token }, 'GET', '/api/admin/server'));
      for (const row of detail.students) assert.equal(server.repls.find((r) => r.id === row.replId)?.memoryLimitMb, 512, 'the admin view shows it');
      ok(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/stop`, {}), 202);
      await until(() => detail.students.every((s) => t.runtime.status(s.replId).state === 'stopped'), 'the class stops');

      const student = await joinAs(t, ada!);
      const view = ok<ReplBody>(await t.call({ bearer: student.token }, 'GET', `/api/repls/${ada!.replId}`));
      assert.equal(view.memoryLimitMb, 512, "the student's view shows the repl's own limit");
      ok(await t.call({ bearer: student.token }, 'POST', `/api/repls/${ada!.replId}/start`));
      assert.equal(t.runtime.specOf(ada!.replId)?.memoryLimitBytes, 512 * MiB, 'started by the student: the same limit');
      ok(await t.call({ bearer: student.token }, 'POST', `/api/repls/${ada!.replId}/stop`));
      ok(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/students/${bo!.id}/reset`));
      assert.equal((await t.database.repls.get(bo!.replId))?.memoryMb, 512, 'a reset to the starter keeps it');

      const plain = ok<ReplBody>(await t.call({ bearer: student.token }, 'POST', '/api/repls', { stack: 'node' }), 201);
      assert.equal(plain.memoryLimitMb, undefined);
      ok(await t.call({ bearer: student.token }, 'POST', `/api/repls/${plain.id}/start`));
      assert.equal(t.runtime.specOf(plain.id)?.memoryLimitBytes, undefined, "a repl of the student's own: the server's limit");
      ok(await t.call({ bearer: student.token }, 'POST', `/api/repls/${plain.id}/stop`));
    });

    it("makes an always-on class's repls always on, on the teacher's allowance: 409 naming the numbers with nothing made when it does not fit", async () => {
      const body = { name: 'Lab', starter: { stack: 'node' }, roster: [{ name: 'Ada' }, { name: 'Bo' }, { name: 'Cy' }], limits: { alwaysOn: true } };
      const before = await counts();
      // The default allowance (CODEYARD_ALWAYS_ON_PER_ACCOUNT) is 1.
      assertError(await t.call({ bearer: teacher.token }, 'POST', '/api/classes', body), 409, 'LIMIT_REACHED', /limits.alwaysOn: 3 repls more always on would come from your always-on allowance, which is 1 and has 0 in use \(3 needed\); ask the administrator for an allowance of at least 3/);
      assert.deepEqual(await counts(), before, 'no class, repl, copy or starter left');

      ok(await t.call({ bearer: admin.token }, 'PUT', `/api/admin/accounts/${teacher.id}/always-on`, { allowance: 4 }));
      const detail = ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'POST', '/api/classes', body), 201);
      for (const row of detail.students) {
        const record = await t.database.repls.get(row.replId);
        assert.deepEqual([record?.alwaysOn, record?.alwaysOnBy], [true, teacher.id], 'always on, on the teacher’s allowance');
      }
      assert.equal((await t.database.repls.alwaysOnOf(teacher.id)).length, 3);

      // Joined: still always on, and the student's own allowance is theirs.
      const ada = await joinAs(t, detail.students[0]!);
      assert.equal(ok<ReplBody>(await t.call({ bearer: ada.token }, 'GET', `/api/repls/${detail.students[0]!.replId}`)).alwaysOn, true);
      const own = ok<ReplBody>(await t.call({ bearer: ada.token }, 'POST', '/api/repls', { stack: 'node' }), 201);
      assert.equal(ok<ReplBody>(await t.call({ bearer: ada.token }, 'PATCH', `/api/repls/${own.id}`, { alwaysOn: true })).alwaysOn, true, "the student's one always-on repl of their own");

      // Growing the class: 3 used of 4, so 2 more are refused (nothing made) and 1 fits.
      const grown = await counts();
      assertError(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/students`, { roster: [{ name: 'Dee' }, { name: 'Eve' }] }), 409, 'LIMIT_REACHED', /which is 4 and has 3 in use \(5 needed\)/);
      assert.deepEqual(await counts(), grown);
      ok(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/students`, { roster: [{ name: 'Dee' }] }), 201);
      // Full now: a student joining by code (who would get a fresh repl) is told to ask the teacher.
      const walkIn = await makeUser(t, 'member');
      assertError(await t.call({ bearer: walkIn.token }, 'POST', '/api/join', { code: detail.code }), 409, 'LIMIT_REACHED', /teacher's always-on allowance, which is used up \(4 of 4\): ask your teacher/);
      assert.deepEqual((await counts())[1], grown[1]! + 1, 'no repl made for the walk-in');
      // A student turning their class repl off frees the teacher's place; the walk-in gets in.
      ok(await t.call({ bearer: ada.token }, 'PATCH', `/api/repls/${detail.students[0]!.replId}`, { alwaysOn: false }));
      const joined = ok<Joined>(await t.call({ bearer: walkIn.token }, 'POST', '/api/join', { code: detail.code }));
      assert.equal((await t.database.repls.get(joined.replId))?.alwaysOn, true);

      // The class deleted: the grant ends with it. The walk-in keeps the repl, no longer always on,
      // and the teacher's places are free again; the student's own always-on repl is untouched.
      ok(await t.call({ bearer: teacher.token }, 'DELETE', `/api/classes/${detail.id}`));
      const kept = await t.database.repls.get(joined.replId);
      assert.deepEqual([kept?.owner, Boolean(kept?.alwaysOn)], [walkIn.id, false]);
      assert.deepEqual(await t.database.repls.alwaysOnOf(teacher.id), []);
      assert.equal((await t.database.repls.get(own.id))?.alwaysOn, true);
    });
  });
}
