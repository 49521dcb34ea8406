import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * 011: an account's own quotas (#14), set by the admin: how many repls it may have
 * (`max_repls`) and run at once (`max_running`). Null: the server's default applies
 * (CODEYARD_MAX_REPLS_PER_ACCOUNT, CODEYARD_MAX_RUNNING_PER_ACCOUNT), as with `always_on_allowance`.
 * Plain integer columns rather than JSON: the repl insert compares the count against the limit
 * in SQL, and both databases take them alike.
 */
export const accountQuotasMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('accounts').addColumn('max_repls', 'integer').execute();
    await db.schema.alterTable('accounts').addColumn('max_running', 'integer').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('accounts').dropColumn('max_running').execute();
    await db.schema.alterTable('accounts').dropColumn('max_repls').execute();
  },
};
