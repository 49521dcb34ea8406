import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * 012: a repl's own limits (#15: a class's per-student limits, applied).
 * - `memory_mb`: the repl's own memory limit in MiB; null: the server's and its stack's. It only
 *   ever lowers what those give (the runtime takes the lower), so a repl keeps working when the
 *   server's limit is lowered later.
 * - `always_on_by`: the account whose always-on allowance an always-on repl uses; null while it is
 *   not always on. The owner for a repl its owner marked; the class's teacher for a student repl
 *   the class made always on (the student's own allowance stays theirs). Kept apart from `owner`
 *   so the allowance can be counted in the one statement that grants it (see ReplRepository).
 *   Existing always-on repls are their owners'.
 */
export const replLimitsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('repls').addColumn('memory_mb', 'integer').execute();
    await db.schema.alterTable('repls').addColumn('always_on_by', 'text').execute();
    await sql`update repls set always_on_by = owner where always_on = 1`.execute(db);
    await db.schema.createIndex('repls_always_on_by').on('repls').column('always_on_by').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('repls_always_on_by').execute();
    await db.schema.alterTable('repls').dropColumn('always_on_by').execute();
    await db.schema.alterTable('repls').dropColumn('memory_mb').execute();
  },
};
