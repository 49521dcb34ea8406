import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * 014: a repl's secrets (environment variables its owner sets in the portal; see
 * portal/src/secrets/). `value` is the AES-256-GCM envelope (`v1.<iv>.<tag>.<ciphertext>`), never
 * the plaintext. Rows go with their repl through the foreign key (SQLite opens with
 * foreign_keys on), so a delete on any portal takes them in the same statement.
 */
export const replSecretsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('repl_secrets')
      .addColumn('repl_id', 'text', (c) => c.notNull().references('repls.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('repl_secrets_pk', ['repl_id', 'name'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('repl_secrets').execute();
  },
};
