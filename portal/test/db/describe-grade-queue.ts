import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GIVEN_UP_OUTPUT } from '../../src/db/grade-queue-repository.js';
import type { Database } from '../../src/db/open-database.js';
import { databaseOpener, type DatabaseTarget } from './db-test-helpers.js';

const at = (minute: number): string => new Date(Date.UTC(2026, 11, 3, 10, minute)).toISOString();

/** A run of `students` (ids `<run>-s0`, …) of class `cls_<run>`. */
async function insert(db: Database, run: string, students: number, minute: number): Promise<string[]> {
  const ids = Array.from({ length: students }, (_, i) => `${run}-s${i}`);
  await db.grades.insertRun({ id: run, classId: `cls_${run}`, command: 'npm test', startedBy: 'u-t', createdAt: at(minute) }, ids.map((id) => ({ studentId: id, replId: `r-${id}` })));
  return ids;
}

async function statusOf(db: Database, run: string): Promise<Map<string, string>> {
  return new Map((await db.grades.getRun(run))?.results.map((r) => [r.studentId, r.status]));
}

/**
 * The autograde queue (migration 013) on every dialect, with two connections as two portals:
 * claims by compare-and-set that racing portals never share, leases that renewals keep and a
 * lapse gives back, a result given up on after its portals died twice, and runs finished once
 * nothing in them is left. Each test leaves nothing queued (the queue is the whole table).
 */
export function describeGradeQueue(name: string, make: () => Promise<DatabaseTarget>, options: { skip?: string } = {}): void {
  describe(`the grade queue on ${name}`, { skip: options.skip }, () => {
    const open = databaseOpener(make);

    it('gives racing portals different results, all of them, the oldest run first', async () => {
      const [one, two] = [await open(), await open()];
      const newer = await insert(one, 'grd_race', 10, 2);
      const older = await insert(one, 'grd_first', 1, 1);
      const [first] = await two.grades.queue.claim('portal-0', 1, at(3), at(4));
      assert.deepEqual([first?.runId, first?.studentId, first?.replId, first?.classId, first?.command], ['grd_first', older[0], `r-${older[0]}`, 'cls_grd_first', 'npm test']);

      const claims = await Promise.all(['portal-1', 'portal-2', 'portal-3', 'portal-4'].map((portal, i) => (i % 2 ? one : two).grades.queue.claim(portal, 3, at(3), at(4))));
      const won = claims.flatMap((c, i) => c.map((r) => [r.studentId, `portal-${i + 1}`] as const));
      assert.equal(new Set(won.map(([id]) => id)).size, won.length, `no result claimed twice: ${JSON.stringify(won)}`);
      assert.deepEqual(won.map(([id]) => id).sort(), [...newer].sort(), 'together they took every queued result');
      assert.ok(claims.every((c) => c.length <= 3), 'none took more than it asked for');
      assert.deepEqual([...(await statusOf(one, 'grd_race')).values()], Array(10).fill('running'));
      assert.deepEqual(await one.grades.queue.claim('portal-5', 3, at(3), at(4)), [], 'nothing left to claim');

      // Each result is its winner's: another portal cannot store it.
      const [id, winner] = won[0]!;
      const outcome = { studentId: id, status: 'pass' as const, exitCode: 0, output: 'ok', startedAt: at(3), finishedAt: at(4) };
      assert.equal(await two.grades.queue.complete(winner === 'portal-1' ? 'portal-2' : 'portal-1', 'grd_race', outcome), false);
      assert.equal(await two.grades.queue.complete(winner, 'grd_race', outcome), true);
      assert.equal((await statusOf(one, 'grd_race')).get(id), 'pass');
      for (const run of ['grd_race', 'grd_first']) await one.grades.deleteByClass(`cls_${run}`);
    });

    it('keeps a renewed claim, takes back a lapsed one (its late result not stored), and gives up after two lapses', async () => {
      const db = await open();
      const [student] = await insert(db, 'grd_lease', 1, 10);
      await db.grades.queue.claim('portal-a', 1, at(10), at(11));
      assert.equal(await db.grades.queue.renew('portal-a', at(15)), 1, 'the heartbeat extends the claim');
      assert.deepEqual(await db.grades.queue.requeueExpired(at(13), 2), [], 'renewed: still portal-a’s');
      assert.deepEqual(await db.grades.queue.finishDone(at(13)), [], 'a run with a result running is not finished');

      // portal-a stopped renewing (it died): at 16 the claim has lapsed.
      assert.deepEqual(await db.grades.queue.requeueExpired(at(16), 2), [{ runId: 'grd_lease', classId: 'cls_grd_lease', result: { studentId: student, status: 'queued' } }]);
      assert.equal(await db.grades.queue.complete('portal-a', 'grd_lease', { studentId: student!, status: 'pass', exitCode: 0 }), false, 'a result taken back is no longer the late portal’s to store');
      assert.equal((await statusOf(db, 'grd_lease')).get(student!), 'queued');
      assert.equal(await db.grades.queue.renew('portal-a', at(30)), 0, 'nor can it renew what it lost');

      // Graded again by portal-b, which dies too: the second lapse is the last.
      assert.equal((await db.grades.queue.claim('portal-b', 1, at(16), at(17))).length, 1);
      const [given] = await db.grades.queue.requeueExpired(at(18), 2);
      assert.deepEqual(given?.result, { studentId: student, status: 'error', output: GIVEN_UP_OUTPUT, finishedAt: at(18) });
      assert.deepEqual(await db.grades.queue.finishDone(at(18)), ['grd_lease'], 'nothing left in it: the run is finished');
      const run = await db.grades.getRun('grd_lease');
      assert.deepEqual([run?.finishedAt, run?.results[0]?.status, run?.results[0]?.output], [at(18), 'error', GIVEN_UP_OUTPUT]);
      await db.grades.deleteByClass('cls_grd_lease');
    });

    it('puts back what a shutting-down portal held, without counting that claim, and finishes a run only when all is done', async () => {
      const db = await open();
      const students = await insert(db, 'grd_release', 2, 20);
      await db.grades.queue.claim('portal-a', 2, at(20), at(21));
      const released = await db.grades.queue.release('portal-a');
      assert.deepEqual(released.map((r) => [r.classId, r.result.status]), [['cls_grd_release', 'queued'], ['cls_grd_release', 'queued']]);
      assert.deepEqual(await db.grades.queue.release('portal-a'), [], 'it holds nothing now');

      // portal-b takes both, finishes one and dies on the other: that lapse is the result's first.
      assert.equal((await db.grades.queue.claim('portal-b', 2, at(22), at(23))).length, 2);
      assert.ok(await db.grades.queue.complete('portal-b', 'grd_release', { studentId: students[0]!, status: 'fail', exitCode: 1, startedAt: at(22), finishedAt: at(22) }));
      assert.deepEqual(await db.grades.queue.finishDone(at(22), 'grd_release'), [], 'one result still running');
      assert.deepEqual((await db.grades.queue.requeueExpired(at(24), 2)).map((r) => r.result.status), ['queued'], 'queued again, not given up on');
      assert.equal((await db.grades.queue.claim('portal-c', 1, at(24), at(25)))[0]?.studentId, students[1]);
      assert.ok(await db.grades.queue.complete('portal-c', 'grd_release', { studentId: students[1]!, status: 'pass', exitCode: 0, startedAt: at(24), finishedAt: at(25) }));
      assert.deepEqual(await db.grades.queue.finishDone(at(25), 'grd_release'), ['grd_release']);
      assert.deepEqual(Object.fromEntries(await statusOf(db, 'grd_release')), { [students[0]!]: 'fail', [students[1]!]: 'pass' });
      await db.grades.deleteByClass('cls_grd_release');
    });
  });
}
