import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { databaseOpener, type DatabaseTarget } from './db-test-helpers.js';

const at = (minute: number): string => new Date(Date.UTC(2026, 11, 3, 9, minute)).toISOString();

/**
 * Submissions and autograde runs (migration 010) on every dialect: numbers per repl that two
 * portals cannot give twice, the counts a class's rows show, runs with their results, and the
 * cleanup when a repl or a class goes (the queue itself: describe-grade-queue.ts).
 */
export function describeSubmissionRepositories(name: string, make: () => Promise<DatabaseTarget>, options: { skip?: string } = {}): void {
  describe(`submissions and grade runs on ${name}`, { skip: options.skip }, () => {
    const open = databaseOpener(make);

    it('numbers submissions 1, 2, … per repl, without a gap or a repeat when two portals submit at once', async () => {
      const [one, two] = [await open(), await open()];
      const numbers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? one : two).submissions.reserve({ id: `sub_race${i}`, replId: 'r-race', accountId: 'u1', createdAt: at(i) })),
      );
      assert.deepEqual([...numbers].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.equal(await one.submissions.reserve({ id: 'sub_other', replId: 'r-other', studentId: 'stu_x', accountId: 'u2', createdAt: at(1) }), 1, 'another repl counts from 1');
      await one.submissions.fill('sub_other', 3, 5_000_000_000);
      const got = await two.submissions.get('r-other', 1);
      assert.deepEqual(got, { id: 'sub_other', replId: 'r-other', studentId: 'stu_x', accountId: 'u2', number: 1, files: 3, bytes: 5_000_000_000, createdAt: at(1) });
      assert.equal(await two.submissions.get('r-other', 2), undefined);
      assert.deepEqual((await one.submissions.listByRepl('r-race')).map((s) => s.number), [8, 7, 6, 5, 4, 3, 2, 1], 'newest first');
    });

    it("answers a class's counts and newest times in one call, and forgets a deleted repl's rows", async () => {
      const db = await open();
      for (const [i, repl] of ['r-a', 'r-a', 'r-b'].entries()) await db.submissions.reserve({ id: `sub_stat${i}`, replId: repl, accountId: 'u1', createdAt: at(10 + i) });
      const stats = await db.submissions.stats(['r-a', 'r-b', 'r-none']);
      assert.deepEqual(stats.get('r-a'), { count: 2, latestAt: at(11), latestNumber: 2 });
      assert.deepEqual(stats.get('r-b'), { count: 1, latestAt: at(12), latestNumber: 1 });
      assert.equal(stats.has('r-none'), false);
      assert.equal(await db.submissions.deleteByRepl('r-a'), 2);
      assert.deepEqual(await db.submissions.listByRepl('r-a'), []);
      assert.equal((await db.submissions.listByRepl('r-b')).length, 1, 'other repls keep theirs');
    });

    it('keeps runs with every result, newest first, and each student\'s newest cell', async () => {
      const db = await open();
      const targets = (...ids: string[]) => ids.map((id) => ({ studentId: id, replId: `r-${id}` }));
      await db.grades.insertRun({ id: 'grd_one', classId: 'cls_g', command: 'npm test', startedBy: 'u-t', createdAt: at(20) }, targets('stu_a', 'stu_b'));
      assert.equal((await db.grades.queue.claim('portal-1', 2, at(20), at(21))).length, 2);
      assert.ok(await db.grades.queue.complete('portal-1', 'grd_one', { studentId: 'stu_a', status: 'pass', exitCode: 0, output: 'ok', startedAt: at(20), finishedAt: at(21) }));
      assert.ok(await db.grades.queue.complete('portal-1', 'grd_one', { studentId: 'stu_b', status: 'fail', exitCode: 1, output: 'boom', startedAt: at(20), finishedAt: at(21) }));
      assert.deepEqual(await db.grades.queue.finishDone(at(21), 'grd_one'), ['grd_one']);
      await db.grades.insertRun({ id: 'grd_two', classId: 'cls_g', command: 'npm test -- x', startedBy: 'u-t', createdAt: at(30) }, targets('stu_b'));
      await db.grades.insertRun({ id: 'grd_else', classId: 'cls_other', command: 'true', startedBy: 'u-x', createdAt: at(31) }, targets('stu_z'));

      const run = await db.grades.getRun('grd_one');
      assert.equal(run?.finishedAt, at(21));
      const byStudent = new Map(run?.results.map((r) => [r.studentId, r]));
      assert.deepEqual(byStudent.get('stu_b'), { studentId: 'stu_b', status: 'fail', exitCode: 1, output: 'boom', startedAt: at(20), finishedAt: at(21) });
      assert.deepEqual((await db.grades.listRuns('cls_g', 10)).map((r) => [r.id, r.results.length]), [['grd_two', 1], ['grd_one', 2]]);
      const cells = await db.grades.latestCells('cls_g');
      assert.deepEqual(cells.get('stu_a'), { runId: 'grd_one', status: 'pass', exitCode: 0 });
      assert.deepEqual(cells.get('stu_b'), { runId: 'grd_two', status: 'queued' }, 'the newest run that included the student');
      assert.equal(cells.has('stu_z'), false, "another class's run is not this class's");
      assert.equal(await db.grades.getRun('grd_missing'), undefined);

      assert.equal(await db.grades.deleteByClass('cls_g'), 2, "a deleted class's runs go with it");
      assert.deepEqual(await db.grades.listRuns('cls_g', 10), []);
      assert.equal((await db.grades.getRun('grd_else'))?.results.length, 1, "another class's run stays");
    });
  });
}
