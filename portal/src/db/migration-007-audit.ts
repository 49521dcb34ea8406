import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * 007: the audit log (issue #14): who did what to what, from where and when. Rows are only ever
 * inserted, and deleted once older than CODEYARD_AUDIT_DAYS. Times are ISO strings as every
 * record's (they sort as text alike on both dialects); `details` is a JSON object as text.
 * (It ran before OpenID's 008-identities on databases of that time, so it keeps its number.)
 */
export const auditMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('audit_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      // Who: an account and the credential it used (the session's or token's id, never a secret);
      // no account for the machine's admin token or a sign-in that failed.
      .addColumn('account_id', 'text')
      .addColumn('credential_kind', 'text')
      .addColumn('credential_id', 'text')
      // What it was done to, and whose that is (so "everything about this account" is one index).
      .addColumn('target_type', 'text')
      .addColumn('target_id', 'text')
      .addColumn('target_account', 'text')
      .addColumn('address', 'text')
      .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    // Pages go newest first by (at, id); filters by kind or account read their own index.
    await db.schema.createIndex('audit_events_at').on('audit_events').columns(['at', 'id']).execute();
    await db.schema.createIndex('audit_events_account').on('audit_events').columns(['account_id', 'at']).execute();
    await db.schema.createIndex('audit_events_target_account').on('audit_events').columns(['target_account', 'at']).execute();
    await db.schema.createIndex('audit_events_kind').on('audit_events').columns(['kind', 'at']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('audit_events').execute();
  },
};
