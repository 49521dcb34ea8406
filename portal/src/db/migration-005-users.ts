import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * 005: accounts become users (issue #14; numbered after 004-api-tokens, which landed first:
 * Kysely refuses a migration that sorts before one a database has run). An account was its
 * token (the token's hash was the primary key); now it is a person with an email, a role, a password hash, and ways in kept
 * apart, one table per kind of credential: `legacy_tokens` (the `cy_` tokens of anonymous
 * accounts, moved here from `accounts`), `sessions` (browser sign-ins) and `invites`.
 *
 * SQLite cannot change a primary key in place, so `accounts` is rebuilt (the same statements
 * on PostgreSQL, where a rename and copy are just as right). Every earlier account is kept as
 * an anonymous member, its token still resolving, its repls still its own.
 */
export const usersMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await inTransaction(db, async (trx) => {
      await trx.schema
        .createTable('accounts_v3')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('email_key', 'text')
        .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('name', 'text')
        .addColumn('role', 'text', (c) => c.notNull().defaultTo('member'))
        .addColumn('password_hash', 'text')
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('anonymous', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('always_on_allowance', 'integer')
        .execute();
      await sql`insert into accounts_v3 (id, created_at, always_on_allowance, role, anonymous)
        select id, created_at, always_on_allowance, 'member', 1 from accounts`.execute(trx);
      await trx.schema
        .createTable('legacy_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .execute();
      await sql`insert into legacy_tokens (token_hash, account_id) select token_hash, id from accounts`.execute(trx);
      await trx.schema.createIndex('legacy_tokens_account').on('legacy_tokens').column('account_id').execute();
      await sql`drop table accounts`.execute(trx);
      await trx.schema.alterTable('accounts_v3').renameTo('accounts').execute();
      // Unique by the lowercased address; NULLs (anonymous accounts) never collide on either dialect.
      await trx.schema.createIndex('accounts_email_key').on('accounts').column('email_key').unique().execute();

      await trx.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('user_agent', 'text')
        .addColumn('address', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await trx.schema.createIndex('sessions_account').on('sessions').column('account_id').execute();
      await trx.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

      await trx.schema
        .createTable('invites')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text')
        .addColumn('email_key', 'text')
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .addColumn('used_by', 'text')
        .execute();
    });
  },
  async down(db: Kysely<unknown>) {
    await inTransaction(db, async (trx) => {
      for (const table of ['invites', 'sessions']) await sql`drop table ${sql.table(table)}`.execute(trx);
      // Back to one row per token: accounts without a legacy token (signed-in users) cannot be kept.
      await trx.schema
        .createTable('accounts_v2')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('always_on_allowance', 'integer')
        .execute();
      await sql`insert into accounts_v2 (token_hash, id, created_at, always_on_allowance)
        select t.token_hash, a.id, a.created_at, a.always_on_allowance from legacy_tokens t join accounts a on a.id = t.account_id`.execute(trx);
      await sql`drop table legacy_tokens`.execute(trx);
      await sql`drop table accounts`.execute(trx);
      await trx.schema.alterTable('accounts_v2').renameTo('accounts').execute();
    });
  },
};

/**
 * Runs `work` in one transaction: on PostgreSQL the migrator already opened one (DDL is
 * transactional there); on SQLite Kysely runs migrations without one, yet SQLite's DDL is
 * transactional too, so a crash midway through the rebuild leaves the old tables as they were.
 */
async function inTransaction(db: Kysely<unknown>, work: (trx: Kysely<unknown>) => Promise<void>): Promise<void> {
  if (db.isTransaction) return work(db);
  await db.transaction().execute(work);
}
