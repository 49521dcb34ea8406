import type { Kysely, Selectable } from 'kysely';
import type { GradeStatus } from '@codeyard/common/api/classes';
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
  constructor(readonly db: Kysely<Tables>) {}

  /**
   * Stores a run with every student's result `queued`; a failure takes the run back out. No
   * transaction: on SQLite one would hold the file's lock across awaits (see ReplRepository).
   */
  async insertRun(run: Omit<GradeRunRecord, 'results' | 'finishedAt'>, studentIds: readonly string[]): Promise<void> {
    await this.db.insertInto('grade_runs').values({ id: run.id, class_id: run.classId, command: run.command, started_by: run.startedBy, created_at: run.createdAt, finished_at: null }).execute();
    try {
      for (let i = 0; i < studentIds.length; i += 200) {
        const chunk = studentIds.slice(i, i + 200);
        await this.db.insertInto('grade_results').values(chunk.map((studentId) => ({ run_id: run.id, student_id: studentId, status: 'queued', exit_code: null, output: null, started_at: null, finished_at: null }))).execute();
      }
    } catch (err) {
      await this.db.deleteFrom('grade_results').where('run_id', '=', run.id).execute();
      await this.db.deleteFrom('grade_runs').where('id', '=', run.id).execute();
      throw err;
    }
  }

  async setResult(runId: string, result: GradeResultRecord): Promise<void> {
    await this.db
      .updateTable('grade_results')
      .set({ status: result.status, exit_code: result.exitCode ?? null, output: result.output ?? null, started_at: result.startedAt ?? null, finished_at: result.finishedAt ?? null })
      .where('run_id', '=', runId)
      .where('student_id', '=', result.studentId)
      .execute();
  }

  async finishRun(runId: string, finishedAt: string): Promise<void> {
    await this.db.updateTable('grade_runs').set({ finished_at: finishedAt }).where('id', '=', runId).execute();
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

  /** Deletes a class's runs and their results (the class is being deleted); answers how many runs. */
  async deleteByClass(classId: string): Promise<number> {
    const runs = (await this.db.selectFrom('grade_runs').select('id').where('class_id', '=', classId).execute()).map((r) => r.id);
    for (let i = 0; i < runs.length; i += 200) await this.db.deleteFrom('grade_results').where('run_id', 'in', runs.slice(i, i + 200)).execute();
    await this.db.deleteFrom('grade_runs').where('class_id', '=', classId).execute();
    return runs.length;
  }

  /**
   * Marks results still queued or running in runs no portal works on any more (a portal restarted
   * mid-run) as errors, and those runs finished; answers how many results. Only runs older
   * than `before`: a run another portal works on now is younger than its longest command.
   */
  async abandonUnfinished(before: string, now: string): Promise<number> {
    const stale = (await this.db.selectFrom('grade_runs').select('id').where('finished_at', 'is', null).where('created_at', '<', before).execute()).map((r) => r.id);
    if (!stale.length) return 0;
    const result = await this.db
      .updateTable('grade_results')
      .set({ status: 'error', output: 'the portal running this grade run stopped before it got here; grade again', finished_at: now })
      .where('run_id', 'in', stale)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    await this.db.updateTable('grade_runs').set({ finished_at: now }).where('id', 'in', stale).execute();
    return Number(result.numUpdatedRows);
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
