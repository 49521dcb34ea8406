import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Personal API tokens and pending device sign-ins (issue #14), in a migration of their own so the
 * accounts work beside it can land in its own. Only SHA-256 hashes of tokens and codes are kept.
 */
export const apiTokensMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      // A JSON array of scopes: one text column both dialects read alike.
      .addColumn('scopes', 'text', (c) => c.notNull())
      // ISO times (as every record's created_at): they compare as text in both dialects.
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      // Kept, not deleted: a revoked token is refused saying so, and an audit log can name it.
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema.createIndex('api_tokens_account').on('api_tokens').columns(['account_id', 'created_at']).execute();
    await db.schema
      .createTable('device_codes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_code_hash', 'text', (c) => c.notNull().unique())
      .addColumn('user_code_hash', 'text', (c) => c.notNull().unique())
      .addColumn('client', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      // Milliseconds since the epoch, as tickets_used: compared in SQL by the poll and the sweep.
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('interval_seconds', 'integer', (c) => c.notNull())
      .addColumn('last_poll_at', 'bigint')
      // pending → approved | denied; approved → used (the token was handed out once).
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
      .addColumn('account_id', 'text')
      .addColumn('token_id', 'text')
      .execute();
    await db.schema.createIndex('device_codes_expires').on('device_codes').column('expires_at').execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['device_codes', 'api_tokens']) await sql`drop table ${sql.table(table)}`.execute(db);
  },
};
