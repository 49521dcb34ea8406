import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * 015: a revision of each repl's secrets, only ever going up, bumped in the same transaction as
 * every secret written or deleted (db/secret-repository.ts). Pushes to the repl's agent carry
 * it, so the agent keeps the newest set whichever portal replica's push comes last, and the list
 * says `applied` only when the agent holds the database's revision. 0: the repl never had a
 * secret. A repl that already has some starts at 1, so its next start still pushes them.
 */
export const secretRevisionsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('repls').addColumn('secrets_revision', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await sql`update repls set secrets_revision = 1 where exists (select 1 from repl_secrets where repl_secrets.repl_id = repls.id)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('repls').dropColumn('secrets_revision').execute();
  },
};
