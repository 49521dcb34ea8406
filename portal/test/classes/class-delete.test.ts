import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClassDeleted, ClassDetail, ClassList, Submission } from '@codeyard/common/api/classes';
import { auditEvents, tokenOf } from '../admin/admin-portal.js';
import { DIALECTS } from '../submissions/work-portal.js';
import { assertError, type TokenPortal } from '../tokens/token-portal.js';
import { joinAs, makeClass, makeUser, ok, startClassPortal, type TestUser, until } from './class-portal.js';
import type { MemoryRuntime } from '../../src/runtime/memory-runtime.js';

/**
 * Deleting a class through the API on the real database and the real file store (FsStore; repls
 * on the MemoryRuntime double): who may not, what goes (unjoined repls and their files, links,
 * code, grade runs, roster) and what stays (joined students' repls and their submissions), a
 * deletion that failed half-way finished by asking again.
 */
for (const dialect of DIALECTS) {
  describe(`deleting a class on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TokenPortal & { runtime: MemoryRuntime; storeDir: string };
    let teacher: TestUser;
    let admin: TestUser;
    before(async () => {
      t = await startClassPortal(dialect.name);
      [teacher, admin] = [await makeUser(t, 'teacher'), await makeUser(t, 'admin')];
    });
    after(() => t?.close());

    /** Whether the real store holds anything under `<under>/<id>/`. */
    const stored = async (id: string, under = 'workspaces'): Promise<boolean> => {
      for await (const _ of t.codeyard.store.list(`${under}/${id}/`)) return true;
      return false;
    };
    const rowsOf = async (classId: string) => t.database.db.selectFrom('class_students').select('id').where('class_id', '=', classId).execute();

    it('is refused (404, the class still whole) to a student of it, another teacher, an admin without the admin scope, 401 signed out, 403 for a read-only token', async () => {
      const detail = await makeClass(t, teacher, ['Ada']);
      const ada = await joinAs(t, detail.students[0]!);
      const other = await makeUser(t, 'teacher');
      const adminNoScope = await tokenOf(t, admin.id, ['read', 'write']);
      for (const [who, token] of [['its student', ada.token], ['another teacher', other.token], ['an admin without the admin scope', adminNoScope]] as const) {
        assertError(await t.call({ bearer: token }, 'DELETE', `/api/classes/${detail.id}`), 404, 'NOT_FOUND', undefined, who);
      }
      assert.equal((await t.call({}, 'DELETE', `/api/classes/${detail.id}`)).statusCode, 401, 'signed out');
      const readOnly = await tokenOf(t, teacher.id, ['read']);
      assert.equal((await t.call({ bearer: readOnly }, 'DELETE', `/api/classes/${detail.id}`)).statusCode, 403, 'a read-only token of the teacher');
      assertError(await t.call({ bearer: teacher.token }, 'DELETE', '/api/classes/not-a-class'), 400, 'VALIDATION', undefined, 'a malformed id');
      const still = ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'GET', `/api/classes/${detail.id}`));
      assert.equal(still.students.length, 1);
      assert.ok(still.code, 'its code still on');
      assert.equal((await auditEvents(t, admin.token, 'kind=class.delete')).length, 0);
      // An admin with the admin scope may (as for every class route).
      assert.deepEqual(ok<ClassDeleted>(await t.call({ bearer: admin.token }, 'DELETE', `/api/classes/${detail.id}`)), { id: detail.id, deletedRepls: 0, detachedRepls: 1 });
    });

    it("deletes unjoined repls (a running one stopped) with their files, the links, code, grade runs and roster; joined students keep their repls and submissions", async () => {
      const detail = await makeClass(t, teacher, ['Amy', 'Bo', 'Cy']);
      const [adaRow, boRow, cyRow] = detail.students as [ClassDetail['students'][0], ClassDetail['students'][0], ClassDetail['students'][0]];
      const ada = await joinAs(t, adaRow);
      assert.equal((await t.call({ bearer: ada.token }, 'POST', `/api/repls/${adaRow.replId}/submit`)).statusCode, 201);
      ok(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/start`, { students: [boRow.id] }), 202);
      await until(() => t.runtime.status(boRow.replId).state === 'running', "Bo's repl running");
      ok(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/grade`, { command: 'npm test' }), 202);
      await until(async () => (await t.database.grades.listRuns(detail.id, 5))[0]?.finishedAt !== undefined, 'the grade run done');
      assert.ok((await stored(boRow.replId)) && (await stored(cyRow.replId)) && (await stored(detail.id, 'classes')), 'files there before');

      const deleted = ok<ClassDeleted>(await t.call({ bearer: teacher.token }, 'DELETE', `/api/classes/${detail.id}`));
      assert.deepEqual(deleted, { id: detail.id, deletedRepls: 2, detachedRepls: 1 });

      assertError(await t.call({ bearer: teacher.token }, 'GET', `/api/classes/${detail.id}`), 404, 'NOT_FOUND');
      assert.ok(!ok<ClassList>(await t.call({ bearer: teacher.token }, 'GET', '/api/classes')).teaching.some((c) => c.id === detail.id));
      for (const row of [boRow, cyRow]) {
        assert.equal(await t.database.repls.get(row.replId), undefined, `${row.name}'s repl record`);
        assert.equal(await stored(row.replId), false, `${row.name}'s stored workspace`);
        assert.equal(t.runtime.status(row.replId).state, 'stopped', `${row.name}'s sandbox`);
      }
      assert.equal(await stored(detail.id, 'classes'), false, 'the starter snapshot');
      assert.deepEqual(await rowsOf(detail.id), [], 'the roster rows');
      assert.deepEqual(await t.database.grades.listRuns(detail.id, 5), [], 'the grade runs');

      // Amy's repl is hers as before, her submission with it; she attends no class any more.
      assert.equal((await t.database.repls.get(adaRow.replId))?.owner, ada.id);
      assert.ok(await stored(adaRow.replId), 'her workspace');
      assert.deepEqual(ok<Submission[]>(await t.call({ bearer: ada.token }, 'GET', `/api/repls/${adaRow.replId}/submissions`)).map((s) => s.number), [1]);
      assert.ok(await stored(adaRow.replId, 'submissions'), 'the submitted copy');
      assert.deepEqual(ok<ClassList>(await t.call({ bearer: ada.token }, 'GET', '/api/classes')).attending, []);
      assert.equal(ok<Submission>(await t.call({ bearer: ada.token }, 'POST', `/api/repls/${adaRow.replId}/submit`), 201).number, 2, 'Submit still saves versions of her own repl');

      const someone = await makeUser(t, 'member');
      assertError(await t.call({ bearer: someone.token }, 'POST', '/api/join', { link: cyRow.link }), 404, 'NOT_FOUND', /ask your teacher/);
      assertError(await t.call({ bearer: someone.token }, 'POST', '/api/join', { code: detail.code }), 404, 'NOT_FOUND', /no class has this code/);

      const event = (await auditEvents(t, admin.token, 'kind=class.delete')).find((e) => e.targetId === detail.id);
      assert.deepEqual([event?.account, event?.targetId, event?.details.deletedRepls, event?.details.detachedRepls, event?.details.name], [teacher.id, detail.id, 2, 1, 'Intro']);
      assertError(await t.call({ bearer: teacher.token }, 'DELETE', `/api/classes/${detail.id}`), 404, 'NOT_FOUND', undefined, 'deleted already');
    });

    it('never deletes a repl a join racing the deletion won, nor leaves a join without its repl', async () => {
      for (let round = 0; round < 8; round++) {
        const detail = await makeClass(t, teacher, [`Race${round}`], { emails: false });
        const row = detail.students[0]!;
        const student = await makeUser(t, 'member');
        // One starts a moment after the other (either way round), so they meet at different steps.
        const later = (ms: number) => new Promise((r) => setTimeout(r, ms));
        const [joinDelay, deleteDelay] = round % 2 ? [round >> 1, 0] : [0, round >> 1];
        const [joined, deleted] = await Promise.all([
          later(joinDelay).then(() => t.call({ bearer: student.token }, 'POST', '/api/join', { link: row.link })),
          later(deleteDelay).then(() => t.call({ bearer: teacher.token }, 'DELETE', `/api/classes/${detail.id}`)),
        ]);
        const result = ok<ClassDeleted>(deleted);
        const repl = await t.database.repls.get(row.replId);
        if (joined.statusCode === 200) {
          assert.equal(repl?.owner, student.id, `round ${round}: the join won, the repl is the student's`);
          assert.deepEqual([result.deletedRepls, result.detachedRepls], [0, 1]);
        } else {
          assert.ok([404, 409].includes(joined.statusCode), `round ${round}: ${joined.body}`);
          assert.equal(repl, undefined, `round ${round}: the deletion won, the repl is gone`);
          assert.deepEqual(ok<ClassList>(await t.call({ bearer: student.token }, 'GET', '/api/classes')).attending, []);
        }
        assert.deepEqual(await rowsOf(detail.id), []);
      }
    });

    it('stays deletable when a store delete fails half-way: links and code off at once, the next DELETE finishes', async () => {
      const detail = await makeClass(t, teacher, ['Dee', 'Eli']);
      const [dee, eli] = detail.students as [ClassDetail['students'][0], ClassDetail['students'][0]];
      // Fault injection on the real store: deleting Eli's stored files fails once.
      const store = t.codeyard.store;
      const original = store.delete.bind(store);
      let failures = 0;
      store.delete = async (key: string) => {
        if (key.startsWith(`workspaces/${eli.replId}/`) && failures++ === 0) throw new Error('disk said no');
        return original(key);
      };
      try {
        assert.equal((await t.call({ bearer: teacher.token }, 'DELETE', `/api/classes/${detail.id}`)).statusCode, 500);
      } finally {
        store.delete = original;
      }
      const half = ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'GET', `/api/classes/${detail.id}`));
      assert.equal(half.code, null, 'its code off');
      assertError(await t.call({ bearer: (await makeUser(t, 'member')).token }, 'POST', '/api/join', { link: dee.link }), 404, 'NOT_FOUND', undefined, 'links off');
      assert.equal((await auditEvents(t, admin.token, 'kind=class.delete')).find((e) => e.targetId === detail.id)?.details.incomplete, true);

      const done = ok<ClassDeleted>(await t.call({ bearer: teacher.token }, 'DELETE', `/api/classes/${detail.id}`));
      assert.equal(done.deletedRepls, 2);
      for (const row of [dee, eli]) {
        assert.equal(await t.database.repls.get(row.replId), undefined);
        assert.equal(await stored(row.replId), false, `${row.name}'s files, on the second try too`);
      }
      assert.deepEqual(await rowsOf(detail.id), []);
      assertError(await t.call({ bearer: teacher.token }, 'GET', `/api/classes/${detail.id}`), 404, 'NOT_FOUND');
    });
  });
}

describe('deleting a class in anonymous mode', () => {
  it("is a 404 to an anonymous account (every browser's own), the class still whole", async () => {
    const t = await startClassPortal('SQLite', { CODEYARD_AUTH: 'anonymous' });
    try {
      const teacher = await makeUser(t, 'teacher');
      const detail = await makeClass(t, teacher, ['Lu']);
      const anonymous = await t.codeyard.portal.auth.accounts.create();
      assertError(await t.call({ bearer: anonymous.token }, 'DELETE', `/api/classes/${detail.id}`), 404, 'NOT_FOUND', undefined, 'an anonymous account');
      assert.equal(ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'GET', `/api/classes/${detail.id}`)).students.length, 1);
    } finally {
      await t.close();
    }
  });
});
