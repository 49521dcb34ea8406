import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import { auditMigration } from './migration-007-audit.js';
import { classesMigration } from './migration-009-classes.js';
import { apiTokensMigration } from './token-migration.js';
import { usersMigration } from './migration-005-users.js';
import { identitiesMigration } from './migration-008-identities.js';
import { submissionsMigration } from './migration-010-submissions.js';
import { accountQuotasMigration } from './migration-011-account-quotas.js';
import { replLimitsMigration } from './migration-012-repl-limits.js';
import { gradeQueueMigration } from './migration-013-grade-queue.js';
import { replSecretsMigration } from './migration-014-repl-secrets.js';
import { secretRevisionsMigration } from './migration-015-secret-revisions.js';

/**
 * The one migration set, for SQLite and PostgreSQL alike: only types and statements both take.
 * Append new migrations; never edit one that has shipped (a database records which ran).
 */
const migrations: Record<string, Migration> = {
  '001-records': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('accounts')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('repls')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('stack', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('template_version', 'text', (c) => c.notNull())
        .addColumn('manifest', 'text', (c) => c.notNull())
        .addColumn('ports', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('origin', 'text')
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.createIndex('repls_owner_created').on('repls').columns(['owner', 'created_at']).execute();
      await db.schema
        .createTable('tickets_used')
        .addColumn('nonce', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tickets_used_expires').on('tickets_used').column('expires_at').execute();
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['meta', 'tickets_used', 'repls', 'accounts']) await sql`drop table ${sql.table(table)}`.execute(db);
    },
  },
  '002-idle-and-always-on': {
    async up(db: Kysely<unknown>) {
      // Integers for flags: SQLite has no boolean, and one representation keeps the queries alike.
      await db.schema.alterTable('repls').addColumn('always_on', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // The admin's per-account override of CODEYARD_ALWAYS_ON_PER_ACCOUNT; null: the default.
      await db.schema.alterTable('accounts').addColumn('always_on_allowance', 'integer').execute();
      // Last activity per repl, written by each portal at most about once a minute per repl (not
      // per request), so that a replica deciding about idleness sees activity through the others.
      // Apart from repls: writing it must not bump the record's version or announce a record change.
      await db.schema
        .createTable('repl_activity')
        .addColumn('repl_id', 'text', (c) => c.primaryKey())
        .addColumn('last_active_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table repl_activity`.execute(db);
      await db.schema.alterTable('accounts').dropColumn('always_on_allowance').execute();
      await db.schema.alterTable('repls').dropColumn('always_on').execute();
    },
  },
  '004-api-tokens': apiTokensMigration,
  '005-users': usersMigration,
  '007-audit': auditMigration,
  '008-identities': identitiesMigration,
  '009-classes': classesMigration,
  '010-submissions': submissionsMigration,
  '011-account-quotas': accountQuotasMigration,
  '012-repl-limits': replLimitsMigration,
  '013-grade-queue': gradeQueueMigration,
  '014-repl-secrets': replSecretsMigration,
  '015-secret-revisions': secretRevisionsMigration,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Brings the database to the latest schema; throws with the failing migration's error. On
 * PostgreSQL the schema to migrate is named: Kysely looks for its bookkeeping tables in every
 * schema, so another schema's (another run's, another app's) would be taken for ours.
 */
export async function migrateToLatest(db: Kysely<unknown>, schema?: string): Promise<void> {
  const { error, results } = await new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Brings the database up to the named migration and no further: for tests of what a migration
 * does to rows an older schema left.
 */
export async function migrateUpTo(db: Kysely<unknown>, name: string): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateTo(name);
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
