import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { GradeRunRecord } from '../../src/db/grade-repository.js';
import { usedSinceFrom } from '../../src/grading/grade-exec.js';
import { type GradeEvent, Grader, type GraderOptions, type GradeTarget } from '../../src/grading/grader.js';
import { ActivityTracker } from '../../src/idle/activity-tracker.js';
import type { ReplService } from '../../src/repls/repl-service.js';
import { MEMORY_EXEC_MARK } from '../../src/runtime/memory-runtime.js';
import { type MemoryRepls, memoryRepls, quietLog } from '../helpers/memory-repls.js';

const LEASE_MS = 60_000;

/**
 * The repl service with its exec held at a gate per repl: a test sees a command start, does
 * what a user would meanwhile, then lets it answer (the MemoryRuntime double's canned result).
 */
function gated(service: ReplService) {
  const held = new Map<string, { release(): void }>();
  const arrivals = new Map<string, Array<() => void>>();
  const repls: GraderOptions['repls'] = {
    record: (id) => service.record(id),
    start: (owner, id) => service.start(owner, id),
    stop: (owner, id) => service.stop(owner, id),
    apps: {
      exec: async (owner, id, request) => {
        await new Promise<void>((release) => {
          held.set(id, { release });
          for (const arrived of arrivals.get(id)?.splice(0) ?? []) arrived();
        });
        held.delete(id);
        return service.apps.exec(owner, id, request);
      },
    },
  };
  return {
    repls,
    /** Resolves once the command in `replId` is running (held at the gate). */
    running: (replId: string) => new Promise<void>((resolve) => (held.has(replId) ? resolve() : arrivals.set(replId, [...(arrivals.get(replId) ?? []), resolve]))),
    release: (replId: string) => held.get(replId)?.release(),
  };
}

/** The run once it is finished (bounded: the doubles answer at once once released). */
async function finished(m: MemoryRepls, runId: string): Promise<GradeRunRecord> {
  for (let i = 0; i < 400; i++) {
    const run = await m.database.grades.getRun(runId);
    if (run?.finishedAt) return run;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`grade run ${runId} did not finish: ${JSON.stringify(await m.database.grades.getRun(runId))}`);
}

/**
 * The grader on test doubles (MemoryRuntime, MemoryStore) with the real repl service and a real
 * SQLite database, two graders on it standing for two portals (or one portal before and after a
 * restart). Real sandboxes grading a pass and a fail: grade.integration.test.ts.
 */
describe('the grader (MemoryRuntime and MemoryStore doubles, real SQLite)', () => {
  let m: MemoryRepls;
  let targets: GradeTarget[];
  const graders: Grader[] = [];
  const grader = (options: Partial<GraderOptions> & Pick<GraderOptions, 'repls'>): Grader => {
    const made = new Grader({ runtime: m.runtime, repository: m.database.grades, concurrency: 2, timeoutMs: 10_000, leaseMs: LEASE_MS, log: quietLog, ...options });
    graders.push(made);
    return made;
  };

  beforeEach(async () => {
    m = await memoryRepls();
    targets = [];
    for (const student of ['ada', 'bo', 'cy']) targets.push({ studentId: `stu_${student}`, replId: (await m.service.create(`u-${student}`, 'node')).id });
  });
  afterEach(async () => {
    for (const g of graders.splice(0)) await g.close(0);
    await m.close();
  });

  it('a portal restarted mid-run picks the run up and finishes it', async () => {
    const before = gated(m.service);
    const first = grader({ repls: before.repls, concurrency: 1 });
    first.begin();
    const run = await first.start('cls_a', 'u-teacher', 'npm test', targets);
    await before.running(targets[0]!.replId);
    // The portal shuts down with one command running and two results not started.
    await first.close(0);
    assert.deepEqual((await m.database.grades.getRun(run.id))?.results.map((r) => r.status), ['queued', 'queued', 'queued'], 'all back in the queue');

    const after = grader({ repls: m.service });
    const events: GradeEvent[] = [];
    after.onResult((event) => void events.push(event));
    after.begin();
    const done = await finished(m, run.id);
    for (const result of done.results) assert.deepEqual([result.status, result.exitCode, result.output], ['pass', 0, `${MEMORY_EXEC_MARK} npm test\n`], result.studentId);
    for (const t of targets.slice(1)) assert.equal(m.runtime.status(t.replId).state, 'stopped', 'started for grading, stopped after');
    const passed = events.filter((e) => e.result.status === 'pass').map((e) => [e.classId, e.runId, e.result.studentId]);
    assert.deepEqual(passed.sort(), targets.map((t) => ['cls_a', run.id, t.studentId]).sort(), "each result reached this portal's listeners (the dashboard)");
    // The cut-off command answers late: its result is not the old portal's to store any more.
    before.release(targets[0]!.replId);
    assert.equal((await m.database.grades.getRun(run.id))?.results.find((r) => r.studentId === targets[0]!.studentId)?.status, 'pass');
  });

  it("takes back a result whose portal died (its lease lapsed) and grades it; the dead portal's late answer is not stored", async () => {
    const dying = gated(m.service);
    const first = grader({ repls: dying.repls, concurrency: 1 });
    first.begin();
    const run = await first.start('cls_b', 'u-teacher', 'make test', targets.slice(0, 1));
    await dying.running(targets[0]!.replId);
    // No close: the portal died. Another portal's clock is past the lease.
    const other = grader({ repls: m.service, now: () => Date.now() + 2 * LEASE_MS });
    const events: GradeEvent[] = [];
    other.onResult((event) => void events.push(event));
    await other.tick();
    assert.deepEqual(events[0]?.result, { studentId: targets[0]!.studentId, status: 'queued' }, 'queued again, and the dashboard told');
    const done = await finished(m, run.id);
    assert.deepEqual([done.results[0]?.status, done.results[0]?.output], ['pass', `${MEMORY_EXEC_MARK} make test\n`]);
    dying.release(targets[0]!.replId);
    await first.close(1000);
    assert.deepEqual((await m.database.grades.getRun(run.id))?.results[0]?.status, 'pass');
  });

  it('leaves running a repl its student opened while it was graded, here or through another portal, and stops the others', async () => {
    const tracker = new ActivityTracker({ repository: m.database.activity, flushMs: 60_000, forgetAfterMs: 120_000, log: quietLog });
    const otherPortal = new ActivityTracker({ repository: m.database.activity, flushMs: 60_000, forgetAfterMs: 120_000, log: quietLog });
    try {
      const g = gated(m.service);
      const graderHere = grader({ repls: g.repls, concurrency: 3, usedSince: usedSinceFrom(tracker, m.database.activity) });
      graderHere.begin();
      const run = await graderHere.start('cls_c', 'u-teacher', 'npm test', targets);
      const [ada, bo, cy] = targets.map((t) => t.replId) as [string, string, string];
      for (const id of [ada, bo, cy]) await g.running(id);
      // Ada opens VS Code through this portal (its WebSocket stays open, as the proxy holds it);
      // Bo opens the preview through another portal, which writes it to the database; Cy does nothing.
      const release = tracker.hold(ada);
      otherPortal.touch(bo);
      await otherPortal.flush();
      for (const id of [ada, bo, cy]) g.release(id);
      const done = await finished(m, run.id);
      assert.deepEqual(done.results.map((r) => r.status), ['pass', 'pass', 'pass']);
      assert.equal(m.runtime.status(ada).state, 'running', 'open in the IDE: left running');
      assert.equal(m.runtime.status(bo).state, 'running', 'opened through another portal: left running');
      assert.equal(m.runtime.status(cy).state, 'stopped', 'nobody opened it: stopped again');
      release();
    } finally {
      await tracker.close();
      await otherPortal.close();
    }
  });
});
