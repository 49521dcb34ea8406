import { type Kysely, sql } from 'kysely';
import type { Tables } from './schema.js';

/**
 * The newest activity seen on each repl, shared by every portal on the database. Written in
 * batches by each portal's ActivityTracker (at most about once a minute per repl, never per
 * request), read by the idle sweeper for the repls it runs. A write never moves a time back:
 * two portals writing the same repl keep the newer of their times.
 */
export class ActivityRepository {
  constructor(readonly db: Kysely<Tables>) {}

  /** Stores `[repl id, ms since the epoch]` pairs in one statement, keeping the newest time per repl. */
  async record(entries: ReadonlyArray<readonly [string, number]>): Promise<void> {
    if (entries.length === 0) return;
    await this.db
      .insertInto('repl_activity')
      .values(entries.map(([id, at]) => ({ repl_id: id, last_active_at: Math.floor(at) })))
      .onConflict((c) =>
        c.column('repl_id').doUpdateSet({
          // Portable max() of the two (SQLite's max(a, b) is PostgreSQL's greatest(a, b)).
          last_active_at: sql`case when excluded.last_active_at > repl_activity.last_active_at then excluded.last_active_at else repl_activity.last_active_at end`,
        }),
      )
      .execute();
  }

  /** The stored last activity of each of `ids` that has one. */
  async lastActive(ids: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (ids.length === 0) return found;
    const rows = await this.db.selectFrom('repl_activity').select(['repl_id', 'last_active_at']).where('repl_id', 'in', [...ids]).execute();
    for (const row of rows) found.set(row.repl_id, Number(row.last_active_at));
    return found;
  }

  /** A deleted repl's row. */
  async forget(id: string): Promise<void> {
    await this.db.deleteFrom('repl_activity').where('repl_id', '=', id).execute();
  }
}
