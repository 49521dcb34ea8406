import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditPage } from '@codeyard/common/api/admin';
import type { StudentRow, Submission } from '@codeyard/common/api/classes';
import { readArchive } from '../../src/archive/archive.js';
import { assertError, DIALECTS, startWorkPortal, type WorkPortal } from './work-portal.js';

const LIMITS = { maxEntries: 1000, maxTotalBytes: 1 << 24, maxFileBytes: 1 << 24 };

/**
 * Submissions through the API on the real database and store (runtime: the MemoryRuntime double,
 * so the repls stay stopped and their stored workspace is what is copied): immutable numbered
 * versions, the teacher's view of them, feedback, and who may not see any of it.
 */
for (const dialect of DIALECTS) {
  describe(`submissions API on ${dialect.name}`, { skip: dialect.skip }, () => {
    let w: WorkPortal;
    before(async () => {
      w = await startWorkPortal(dialect.name);
    });
    after(async () => w?.close());

    const put = (token: string, replId: string, file: string, text: string) =>
      w.codeyard.portal.app.inject({ method: 'PUT', url: `/api/repls/${replId}/files/${file}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, payload: text });
    const studentUrl = (rest = '') => `/api/classes/${w.classId}/students/${w.students.alice.id}${rest}`;

    it('keeps each Submit as an immutable numbered version the student lists and the teacher opens', async () => {
      const repl = w.students.alice.replId;
      assert.equal((await put(w.alice.token, repl, 'answer.js', 'module.exports = 1;\n')).statusCode, 201);
      const first = await w.call(w.alice.token, 'POST', `/api/repls/${repl}/submit`);
      assert.equal(first.statusCode, 201, first.body);
      assert.equal(first.json<Submission>().number, 1);
      assert.ok(first.json<Submission>().files >= 2, 'the template files and the answer');
      assert.equal((await put(w.alice.token, repl, 'answer.js', 'module.exports = 2;\n')).statusCode, 200);
      const second = (await w.call(w.alice.token, 'POST', `/api/repls/${repl}/submit`)).json<Submission>();
      assert.equal(second.number, 2);

      const mine = await w.call(w.alice.token, 'GET', `/api/repls/${repl}/submissions`);
      assert.deepEqual(mine.json<Submission[]>().map((s) => s.number), [2, 1], 'newest first');
      const theirs = await w.call(w.teacher.token, 'GET', studentUrl('/submissions'));
      assert.deepEqual(theirs.json<Submission[]>().map((s) => s.id), mine.json<Submission[]>().map((s) => s.id));

      // Version 1 still holds what was submitted then, whatever the workspace holds now.
      assert.equal((await w.call(w.teacher.token, 'GET', studentUrl('/submissions/1/files/answer.js'))).body, 'module.exports = 1;\n');
      assert.equal((await w.call(w.teacher.token, 'GET', studentUrl('/submissions/2/files/answer.js'))).body, 'module.exports = 2;\n');
      const listing = await w.call(w.teacher.token, 'GET', studentUrl('/submissions/1/files/'));
      assert.ok(listing.json<Array<{ name: string }>>().some((e) => e.name === 'answer.js'), listing.body);

      const archive = await w.call(w.teacher.token, 'GET', studentUrl('/submissions/1/archive?format=zip'));
      assert.equal(archive.statusCode, 200);
      const entries = await readArchive(archive.rawPayload, 'zip', LIMITS);
      assert.equal(entries.find((e) => e.path === 'answer.js')?.body?.toString(), 'module.exports = 1;\n');

      const audit = await w.call(w.admin.token, 'GET', '/api/admin/audit?kind=class.submission-open');
      const opened = audit.json<AuditPage>().events;
      assert.deepEqual(opened.map((e) => [e.details.number, e.details.archive ?? e.details.path]).reverse(), [[1, 'answer.js'], [2, 'answer.js'], [1, 'zip']], "each version's first read is recorded (not its listing again), every archive");
      assert.ok(opened.every((e) => e.account === w.teacher.id && e.targetAccount === w.alice.id && e.targetId === repl));
    });

    it('refuses an unknown version (404 naming the ones there are) and a malformed one (400)', async () => {
      assertError(await w.call(w.teacher.token, 'GET', studentUrl('/submissions/9/files/answer.js')), 404, 'NOT_FOUND', /no submission 9; this repl has submissions 1, 2/);
      assertError(await w.call(w.teacher.token, 'GET', studentUrl('/submissions/9/archive')), 404, 'NOT_FOUND', /no submission 9/);
      assertError(await w.call(w.teacher.token, 'GET', studentUrl('/submissions/one/files/x')), 400, 'VALIDATION', /n/);
      assertError(await w.call(w.teacher.token, 'GET', studentUrl('/submissions/1/files/nothing.js')), 404, 'NOT_FOUND', /no file nothing.js/);
      assertError(await w.call(w.teacher.token, 'GET', studentUrl('/submissions/1/archive?format=rar')), 400, 'VALIDATION', /format/);
      assertError(await w.call(w.teacher.token, 'GET', `/api/classes/${w.classId}/students/stu_nope/submissions`), 400, 'VALIDATION', /sid/);
    });

    it("shows a student's submissions to nobody but them, their class's teacher and admins (404 for the rest)", async () => {
      const repl = w.students.alice.replId;
      assertError(await w.call(w.bob.token, 'GET', `/api/repls/${repl}/submissions`), 404, 'NOT_FOUND', undefined, "another student's list");
      assertError(await w.call(w.bob.token, 'POST', `/api/repls/${repl}/submit`), 404, 'NOT_FOUND', undefined, 'submit for another');
      assertError(await w.call(w.teacher.token, 'GET', `/api/repls/${repl}/submissions`), 404, 'NOT_FOUND', undefined, 'the teacher goes through class routes only');
      for (const caller of [w.bob, w.otherTeacher, w.alice]) {
        for (const url of [studentUrl('/submissions'), studentUrl('/submissions/1/files/answer.js'), studentUrl('/submissions/1/archive')]) {
          assertError(await w.call(caller.token, 'GET', url), 404, 'NOT_FOUND', undefined, url);
        }
        assertError(await w.call(caller.token, 'POST', studentUrl('/feedback'), { text: 'hi' }), 404, 'NOT_FOUND');
      }
      // A student of the class asked for through another class's id is no student of that class.
      const bobAsOther = `/api/classes/${w.classId}/students/${w.students.bob.id}/submissions`;
      assert.equal((await w.call(w.teacher.token, 'GET', bobAsOther)).statusCode, 200);
      assert.equal((await w.call(w.admin.token, 'GET', studentUrl('/submissions'))).statusCode, 200, 'an admin may');
    });

    it("writes the teacher's feedback file into the student's repl, audited, and checks its path", async () => {
      const res = await w.call(w.teacher.token, 'POST', studentUrl('/feedback'), { text: '# Well done\nbut test the edge cases.\n' });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { path: 'FEEDBACK.md' });
      const read = await w.call(w.alice.token, 'GET', `/api/repls/${w.students.alice.replId}/files/FEEDBACK.md`);
      assert.equal(read.body, '# Well done\nbut test the edge cases.\n');
      assert.equal((await w.call(w.teacher.token, 'POST', studentUrl('/feedback'), { text: 'x', path: 'notes/review.md' })).statusCode, 200);
      assertError(await w.call(w.teacher.token, 'POST', studentUrl('/feedback'), { text: 'x', path: '../escape.md' }), 400, 'INVALID_PATH');
      assertError(await w.call(w.teacher.token, 'POST', studentUrl('/feedback'), { text: '' }), 400, 'VALIDATION', /text/);
      const events = (await w.call(w.admin.token, 'GET', '/api/admin/audit?kind=class.feedback')).json<AuditPage>().events;
      assert.deepEqual(events.map((e) => e.details.path), ['notes/review.md', 'FEEDBACK.md']);
    });

    it("shows a submission on the teacher's live class stream, with the row's count and time", async () => {
      const rows: StudentRow[] = [];
      const unwatch = await w.codeyard.portal.classes.events.watch(w.classId, (event) => event.type === 'student' && rows.push(event.row));
      try {
        const made = (await w.call(w.alice.token, 'POST', `/api/repls/${w.students.alice.replId}/submit`)).json<Submission>();
        // Bounded wait for the stream (it gathers a row's changes for 150 ms): at most 5 s.
        for (let i = 0; i < 100 && !rows.some((r) => r.submissions === made.number); i++) await new Promise((r) => setTimeout(r, 50));
        const row = rows.find((r) => r.submissions === made.number);
        assert.ok(row, `a row with ${made.number} submissions was sent: ${JSON.stringify(rows)}`);
        assert.equal(row.id, w.students.alice.id);
        assert.equal(row.submittedAt, made.createdAt);
      } finally {
        unwatch();
      }
    });

    it("deletes a repl's submissions with it: rows and stored copies", async () => {
      const repl = w.students.bob.replId;
      assert.equal((await w.call(w.bob.token, 'POST', `/api/repls/${repl}/submit`)).statusCode, 201);
      const stored = async () => {
        const keys: string[] = [];
        for await (const info of w.codeyard.store.list(`submissions/${repl}/`)) keys.push(info.key);
        return keys;
      };
      assert.ok((await stored()).length > 0);
      assert.equal((await w.call(w.bob.token, 'DELETE', `/api/repls/${repl}`)).statusCode, 204);
      assert.deepEqual(await stored(), []);
      assert.deepEqual(await w.database.submissions.listByRepl(repl), []);
    });
  });
}
