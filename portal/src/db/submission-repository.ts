import { type Kysely, type Selectable, sql } from 'kysely';
import { isUniqueViolation } from './account-repository.js';
import type { SubmissionsTable } from './submission-schema.js';
import type { Tables } from './schema.js';

/** A submission as stored. */
export interface SubmissionRecord {
  id: string;
  replId: string;
  studentId?: string;
  accountId: string;
  number: number;
  files: number;
  bytes: number;
  createdAt: string;
}

/** Per repl: how many submissions, and when the newest was made. */
export interface SubmissionStats {
  count: number;
  latestAt: string;
  latestNumber: number;
}

/** How many times a reservation retries when another portal took the same number in between. */
const MAX_ATTEMPTS = 20;

/**
 * The submissions' rows. A number is reserved by inserting the row (the unique pair repl and
 * number decides between two portals submitting at once); the content is copied after, under
 * that number, and the row's counts filled in.
 */
export class SubmissionRepository {
  constructor(readonly db: Kysely<Tables>) {}

  /**
   * Inserts a row with the next number of its repl (files and bytes 0 until {@link fill}); answers
   * the number. The number is computed in the insert itself, and a collision with another
   * writer's insert (the unique constraint) is retried.
   */
  async reserve(row: Omit<SubmissionRecord, 'number' | 'files' | 'bytes'>): Promise<number> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        const result = await sql<{ number: number }>`insert into submissions (id, repl_id, student_id, account_id, number, files, bytes, created_at)
          select ${row.id}, ${row.replId}, ${row.studentId ?? null}, ${row.accountId}, coalesce(max(number), 0) + 1, 0, 0, ${row.createdAt}
          from submissions where repl_id = ${row.replId}
          returning number`.execute(this.db);
        return Number(result.rows[0]?.number);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new Error(`submissions of repl ${row.replId} kept colliding; try again`);
  }

  /** Records what the copy holds, once it is complete. */
  async fill(id: string, files: number, bytes: number): Promise<void> {
    await this.db.updateTable('submissions').set({ files, bytes }).where('id', '=', id).execute();
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('submissions').where('id', '=', id).execute();
  }

  /** A repl's submissions, newest first. */
  async listByRepl(replId: string): Promise<SubmissionRecord[]> {
    const rows = await this.db.selectFrom('submissions').selectAll().where('repl_id', '=', replId).orderBy('number', 'desc').execute();
    return rows.map(toRecord);
  }

  async get(replId: string, number: number): Promise<SubmissionRecord | undefined> {
    const row = await this.db.selectFrom('submissions').selectAll().where('repl_id', '=', replId).where('number', '=', number).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Counts and newest time per repl, for a class's rows (one query for the whole roster). */
  async stats(replIds: readonly string[]): Promise<Map<string, SubmissionStats>> {
    const out = new Map<string, SubmissionStats>();
    for (let i = 0; i < replIds.length; i += 500) {
      const chunk = replIds.slice(i, i + 500);
      if (!chunk.length) continue;
      const rows = await this.db
        .selectFrom('submissions')
        .select((eb) => ['repl_id', eb.fn.countAll<string | number>().as('count'), eb.fn.max('created_at').as('latest_at'), eb.fn.max('number').as('latest_number')])
        .where('repl_id', 'in', chunk)
        .groupBy('repl_id')
        .execute();
      for (const row of rows) out.set(row.repl_id, { count: Number(row.count), latestAt: String(row.latest_at), latestNumber: Number(row.latest_number) });
    }
    return out;
  }

  /**
   * Detaches submissions from roster rows (their class is being deleted): they stay their
   * repl's saved versions, as submissions outside a class are (student_id null).
   */
  async detachStudents(studentIds: readonly string[]): Promise<void> {
    for (let i = 0; i < studentIds.length; i += 200) await this.db.updateTable('submissions').set({ student_id: null }).where('student_id', 'in', studentIds.slice(i, i + 200)).execute();
  }

  /** Deletes every row of a repl (the repl is being deleted); answers how many. */
  async deleteByRepl(replId: string): Promise<number> {
    const result = await this.db.deleteFrom('submissions').where('repl_id', '=', replId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toRecord(row: Selectable<SubmissionsTable>): SubmissionRecord {
  return {
    id: row.id,
    replId: row.repl_id,
    ...(row.student_id ? { studentId: row.student_id } : {}),
    accountId: row.account_id,
    number: Number(row.number),
    files: Number(row.files),
    bytes: Number(row.bytes),
    createdAt: row.created_at,
  };
}
