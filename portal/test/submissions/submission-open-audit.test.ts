import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditPage } from '@codeyard/common/api/admin';
import { OPEN_AUDIT_WINDOW_MS, SubmissionOpens } from '../../src/submissions/open-audit.js';
import { DIALECTS, startWorkPortal, type WorkPortal } from './work-portal.js';

describe('SubmissionOpens: which reads of a version are recorded', () => {
  it('records the first read per account and version, again once the window has passed, and again after a failed write', async () => {
    const clock = { now: 1_000_000 };
    const opens = new SubmissionOpens(() => clock.now);
    const rows: string[] = [];
    const read = (account: string, n: number) => opens.read(account, 'r1', n, async () => void rows.push(`${account}:${n}`));
    for (let i = 0; i < 10; i++) await read('teacher', 1);
    await read('teacher', 2);
    await read('admin', 1);
    clock.now += OPEN_AUDIT_WINDOW_MS - 1;
    await read('teacher', 1);
    clock.now += 1;
    await read('teacher', 1);
    assert.deepEqual(rows, ['teacher:1', 'teacher:2', 'admin:1', 'teacher:1']);
    await assert.rejects(opens.read('teacher', 'r1', 3, async () => Promise.reject(new Error('database gone'))));
    await read('teacher', 3);
    assert.equal(rows.at(-1), 'teacher:3', 'a read whose row could not be written is recorded by the next read');
  });
});

/**
 * Through the API on the real database and store (repls on the MemoryRuntime double): a teacher
 * reading 10 files of a submitted version leaves one audit row; another version, or another
 * teacher (an admin), leaves its own.
 */
for (const dialect of DIALECTS) {
  describe(`auditing a teacher's reads of a submission on ${dialect.name}`, { skip: dialect.skip }, () => {
    let w: WorkPortal;
    before(async () => {
      w = await startWorkPortal(dialect.name);
    });
    after(async () => w?.close());

    it('records one row for 10 files of a version, one more for another version and one for another teacher', async () => {
      const repl = w.students.alice.replId;
      for (let i = 0; i < 10; i++) {
        const put = await w.codeyard.portal.app.inject({ method: 'PUT', url: `/api/repls/${repl}/files/part${i}.js`, headers: { authorization: `Bearer ${w.alice.token}`, 'content-type': 'text/plain' }, payload: `// ${i}\n` });
        assert.equal(put.statusCode, 201, put.body);
      }
      for (let n = 1; n <= 2; n++) assert.equal((await w.call(w.alice.token, 'POST', `/api/repls/${repl}/submit`)).statusCode, 201);
      const file = (n: number, i: number) => `/api/classes/${w.classId}/students/${w.students.alice.id}/submissions/${n}/files/part${i}.js`;
      const rows = async () => (await w.call(w.admin.token, 'GET', '/api/admin/audit?kind=class.submission-open')).json<AuditPage>().events;

      for (let i = 0; i < 10; i++) assert.equal((await w.call(w.teacher.token, 'GET', file(1, i))).body, `// ${i}\n`);
      assert.deepEqual((await rows()).map((e) => [e.account, e.details.number, e.details.path, e.targetId, e.targetAccount]), [[w.teacher.id, 1, 'part0.js', repl, w.alice.id]]);

      await w.call(w.teacher.token, 'GET', file(2, 3));
      await w.call(w.teacher.token, 'GET', file(2, 4));
      await w.call(w.admin.token, 'GET', file(1, 5));
      await w.call(w.admin.token, 'GET', file(1, 6));
      assert.deepEqual((await rows()).map((e) => [e.account, e.details.number]).reverse(), [[w.teacher.id, 1], [w.teacher.id, 2], [w.admin.id, 1]]);
    });
  });
}
