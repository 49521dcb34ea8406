import type { Kysely } from 'kysely';
import type { GradeResultRecord } from './grade-repository.js';
import type { Tables } from './schema.js';

/** A result a portal claimed: what it needs to grade it, whichever portal stored the run. */
export interface ClaimedResult {
  runId: string;
  classId: string;
  command: string;
  studentId: string;
  /** Null only for a result stored before migration 013 whose student was already gone. */
  replId: string | null;
  startedAt: string;
}

/** A result the sweep changed (taken back from a portal whose claim lapsed): the dashboard shows it. */
export interface SweptResult {
  runId: string;
  classId: string;
  result: GradeResultRecord;
}

/** What a result that lapsed this many times says instead of being queued again. */
export const GIVEN_UP_OUTPUT = 'grading was interrupted (the portal working on it stopped) and again when it was graded again; grade again';

const UNFINISHED = ['queued', 'running'];

/**
 * The autograde queue, shared by every portal on the database: results wait `queued`; a portal
 * claims some with a compare-and-set (queued → running, naming itself and a lease time), renews
 * the lease while it works, and stores the outcome only while the claim is still its own. A
 * claim whose lease lapsed (its portal died or hung) is taken back by any portal's sweep. A run
 * is finished once none of its results is queued or running.
 *
 * No transactions: every change is one conditional statement, so two portals racing decide by
 * which statement the database applies first (SQLite serialises them; PostgreSQL re-checks the
 * WHERE of a row another statement just changed).
 */
export class GradeQueueRepository {
  constructor(readonly db: Kysely<Tables>) {}

  /**
   * Claims up to `count` queued results, oldest run first, for `portal` until `leaseUntil`;
   * answers those it won (another portal racing for the same rows wins others).
   */
  async claim(portal: string, count: number, now: string, leaseUntil: string): Promise<ClaimedResult[]> {
    const won: ClaimedResult[] = [];
    // Bounded: each round either wins rows or finds fewer candidates than it asked for.
    for (let round = 0; round < 4 && won.length < count; round++) {
      const candidates = await this.db
        .selectFrom('grade_results')
        .innerJoin('grade_runs', 'grade_runs.id', 'grade_results.run_id')
        .select(['grade_results.run_id', 'grade_results.student_id', 'grade_results.repl_id', 'grade_runs.class_id', 'grade_runs.command'])
        .where('grade_results.status', '=', 'queued')
        .orderBy('grade_runs.created_at')
        .orderBy('grade_results.run_id')
        .orderBy('grade_results.student_id')
        // More than needed: a racing portal takes some of the first ones.
        .limit(count - won.length + 4)
        .execute();
      let lost = 0;
      for (const row of candidates) {
        if (won.length >= count) break;
        const claimed = await this.db
          .updateTable('grade_results')
          .set((eb) => ({ status: 'running', claimed_by: portal, lease_until: leaseUntil, started_at: now, attempts: eb('attempts', '+', 1) }))
          .where('run_id', '=', row.run_id)
          .where('student_id', '=', row.student_id)
          .where('status', '=', 'queued')
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) === 1) won.push({ runId: row.run_id, classId: row.class_id, command: row.command, studentId: row.student_id, replId: row.repl_id, startedAt: now });
        else lost++;
      }
      if (lost === 0) break;
    }
    return won;
  }

  /** Extends every claim `portal` holds to `leaseUntil` (its heartbeat); answers how many it holds. */
  async renew(portal: string, leaseUntil: string): Promise<number> {
    const result = await this.db.updateTable('grade_results').set({ lease_until: leaseUntil }).where('claimed_by', '=', portal).where('status', '=', 'running').executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Stores the outcome of a result `portal` claimed; false (nothing stored) when the claim is no
   * longer its own (the lease lapsed and the result was taken back).
   */
  async complete(portal: string, runId: string, result: GradeResultRecord): Promise<boolean> {
    const done = await this.db
      .updateTable('grade_results')
      .set({ status: result.status, exit_code: result.exitCode ?? null, output: result.output ?? null, started_at: result.startedAt ?? null, finished_at: result.finishedAt ?? null, claimed_by: null, lease_until: null })
      .where('run_id', '=', runId)
      .where('student_id', '=', result.studentId)
      .where('claimed_by', '=', portal)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(done.numUpdatedRows) === 1;
  }

  /**
   * Puts the results `portal` still holds back in the queue (it is shutting down; their commands
   * were cut off), for another portal or its own next start; answers them.
   */
  async release(portal: string): Promise<SweptResult[]> {
    const rows = await this.db
      .updateTable('grade_results')
      // The interruption was the portal's, not the result's: this claim does not count.
      .set((eb) => ({ status: 'queued', claimed_by: null, lease_until: null, started_at: null, attempts: eb('attempts', '-', 1) }))
      .where('claimed_by', '=', portal)
      .where('status', '=', 'running')
      .returning(['run_id', 'student_id'])
      .execute();
    return this.#withClasses(rows.map((row) => ({ runId: row.run_id, result: { studentId: row.student_id, status: 'queued' } })));
  }

  /**
   * Takes back the results whose lease lapsed before `now` (their portal died mid-command): queued
   * again to be graded again, or, once claimed `maxAttempts` times, an error saying so. Answers
   * what changed. Each statement checks the lapse itself: a claim renewed meanwhile stays its portal's.
   */
  async requeueExpired(now: string, maxAttempts: number): Promise<SweptResult[]> {
    const failed = await this.db
      .updateTable('grade_results')
      .set({ status: 'error', output: GIVEN_UP_OUTPUT, finished_at: now, claimed_by: null, lease_until: null })
      .where('status', '=', 'running')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .where('attempts', '>=', maxAttempts)
      .returning(['run_id', 'student_id'])
      .execute();
    const requeued = await this.db
      .updateTable('grade_results')
      .set({ status: 'queued', claimed_by: null, lease_until: null, started_at: null })
      .where('status', '=', 'running')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .returning(['run_id', 'student_id'])
      .execute();
    return this.#withClasses([
      ...failed.map((row) => ({ runId: row.run_id, result: { studentId: row.student_id, status: 'error' as const, output: GIVEN_UP_OUTPUT, finishedAt: now } })),
      ...requeued.map((row) => ({ runId: row.run_id, result: { studentId: row.student_id, status: 'queued' as const } })),
    ]);
  }

  /** Marks finished (at `now`) the runs, or the one run named, with no result queued or running; answers their ids. */
  async finishDone(now: string, runId?: string): Promise<string[]> {
    let query = this.db
      .updateTable('grade_runs')
      .set({ finished_at: now })
      .where('finished_at', 'is', null)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('grade_results').select('grade_results.run_id').whereRef('grade_results.run_id', '=', 'grade_runs.id').where('grade_results.status', 'in', UNFINISHED))));
    if (runId) query = query.where('id', '=', runId);
    return (await query.returning('id').execute()).map((r) => r.id);
  }

  /** The changes with their runs' classes (a run deleted meanwhile: left out). */
  async #withClasses(changes: Array<Omit<SweptResult, 'classId'>>): Promise<SweptResult[]> {
    if (!changes.length) return [];
    const runs = await this.db.selectFrom('grade_runs').select(['id', 'class_id']).where('id', 'in', [...new Set(changes.map((c) => c.runId))]).execute();
    const classOf = new Map(runs.map((r) => [r.id, r.class_id]));
    return changes.flatMap((c) => {
      const classId = classOf.get(c.runId);
      return classId ? [{ ...c, classId }] : [];
    });
  }
}

