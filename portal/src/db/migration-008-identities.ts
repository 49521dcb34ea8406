import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * 008: OpenID Connect (#14): who signed in where (`identities`: an issuer's subject is one account,
 * whatever the email says later) and the sign-ins under way (`oidc_flows`: state, nonce and PKCE
 * verifier of a browser's flow, found by the SHA-256 of its cookie, so any replica can finish it).
 */
export const identitiesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('identities')
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_signin_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('identities_pk', ['issuer', 'subject'])
      .execute();
    await db.schema.createIndex('identities_account').on('identities').column('account_id').execute();
    await db.schema
      .createTable('oidc_flows')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('nonce', 'text', (c) => c.notNull())
      .addColumn('code_verifier', 'text', (c) => c.notNull())
      // The signed-in account a "connect this provider" flow links to; null for a sign-in.
      .addColumn('link_account', 'text')
      // The invite a sign-up with this provider uses (claimed at the callback, when the address is known).
      .addColumn('invite', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('oidc_flows_expires').on('oidc_flows').column('expires_at').execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['oidc_flows', 'identities']) await sql`drop table ${sql.table(table)}`.execute(db);
  },
};
