import type { Kysely, Selectable } from 'kysely';
import type { GradeStatus } from '@codeyard/common/api/classes';
import { GradeQueueRepository } from './grade-queue-repository.js';
import type { GradeResultsTable, GradeRunsTable } from './submission-schema.js';
import type { Tables } from './schema.js';

/** One student's result in a run. */
export interface GradeResultRecord {
  studentId: string;
  status: GradeStatus;
  exitCode?: number | null;
  output?: string;
  startedAt?: string;
  finishedAt?: string;
}

/** A run with its results (in no particular order: the service puts them in roster order). */
export interface GradeRunRecord {
  id: string;
  classId: string;
  command: string;
  startedBy: string;
  createdAt: string;
  finishedAt?: string;
  results: GradeResultRecord[];
}

/** A student's newest result (the dashboard's grade cell). */
export interface GradeCellRecord {
  runId: string;
  status: GradeStatus;
  exitCode?: number | null;
}

/** Autograde runs and their per-student results. */
export class GradeRepository {
  /** The queue portals claim results from (see GradeQueueRepository). */
  readonly queue: GradeQueueRepository;

  constructor(readonly db: Kysely<Tables>) {
    this.queue = new GradeQueueRepository(db);
  }

  /**
   * Stores a run with every student's result `queued` (the queue any portal claims from); a
   * failure takes the run back out. The results go in first: a run appears (and its results can
   * be claimed) only whole, so no portal's sweep finds it with nothing left and calls it
   * finished. No transaction: on SQLite one would hold the file's lock across awaits (see
   * ReplRepository).
   */
  async insertRun(run: Omit<GradeRunRecord, 'results' | 'finishedAt'>, targets: ReadonlyArray<{ studentId: string; replId: string }>): Promise<void> {
    try {
      for (let i = 0; i < targets.length; i += 200) {
        const chunk = targets.slice(i, i + 200);
        await this.db
          .insertInto('grade_results')
          .values(chunk.map((t) => ({ run_id: run.id, student_id: t.studentId, repl_id: t.replId, status: 'queued', exit_code: null, output: null, started_at: null, finished_at: null, claimed_by: null, lease_until: null, attempts: 0 })))
          .execute();
      }
      await this.db.insertInto('grade_runs').values({ id: run.id, class_id: run.classId, command: run.command, started_by: run.startedBy, created_at: run.createdAt, finished_at: null }).execute();
    } catch (err) {
      await this.db.deleteFrom('grade_results').where('run_id', '=', run.id).execute();
      throw err;
    }
  }

  async getRun(runId: string): Promise<GradeRunRecord | undefined> {
    const row = await this.db.selectFrom('grade_runs').selectAll().where('id', '=', runId).executeTakeFirst();
    if (!row) return undefined;
    const results = await this.db.selectFrom('grade_results').selectAll().where('run_id', '=', runId).execute();
    return toRun(row, results);
  }

  /** A class's newest runs with their results, newest first. */
  async listRuns(classId: string, limit: number): Promise<GradeRunRecord[]> {
    const runs = await this.db.selectFrom('grade_runs').selectAll().where('class_id', '=', classId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    if (!runs.length) return [];
    const results = await this.db.selectFrom('grade_results').selectAll().where('run_id', 'in', runs.map((r) => r.id)).execute();
    return runs.map((run) => toRun(run, results.filter((r) => r.run_id === run.id)));
  }

  /**
   * Each student's result in the newest run that included them, over the class's newest
   * `runs` runs (one query; a student left out of every recent run has no cell).
   */
  async latestCells(classId: string, runs = 50): Promise<Map<string, GradeCellRecord>> {
    const rows = await this.db
      .selectFrom('grade_results')
      .innerJoin('grade_runs', 'grade_runs.id', 'grade_results.run_id')
      .select(['grade_results.run_id', 'grade_results.student_id', 'grade_results.status', 'grade_results.exit_code', 'grade_runs.created_at'])
      .where('grade_results.run_id', 'in', (eb) => eb.selectFrom('grade_runs').select('id').where('class_id', '=', classId).orderBy('created_at', 'desc').limit(runs))
      .orderBy('grade_runs.created_at', 'desc')
      .orderBy('grade_runs.id', 'desc')
      .execute();
    const out = new Map<string, GradeCellRecord>();
    for (const row of rows) {
      if (!out.has(row.student_id)) out.set(row.student_id, { runId: row.run_id, status: row.status as GradeStatus, ...(row.exit_code !== null ? { exitCode: Number(row.exit_code) } : {}) });
    }
    return out;
  }

  /** Every run of a class and their results (the class is being deleted); answers how many runs. */
  async deleteByClass(classId: string): Promise<number> {
    const runs = this.db.selectFrom('grade_runs').select('id').where('class_id', '=', classId);
    await this.db.deleteFrom('grade_results').where('run_id', 'in', runs).execute();
    const deleted = await this.db.deleteFrom('grade_runs').where('class_id', '=', classId).executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }
}

function toRun(row: Selectable<GradeRunsTable>, results: Array<Selectable<GradeResultsTable>>): GradeRunRecord {
  return {
    id: row.id,
    classId: row.class_id,
    command: row.command,
    startedBy: row.started_by,
    createdAt: row.created_at,
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
    results: results.map((r) => ({
      studentId: r.student_id,
      status: r.status as GradeStatus,
      exitCode: r.exit_code === null ? null : Number(r.exit_code),
      ...(r.output !== null ? { output: r.output } : {}),
      ...(r.started_at ? { startedAt: r.started_at } : {}),
      ...(r.finished_at ? { finishedAt: r.finished_at } : {}),
    })),
  };
}
