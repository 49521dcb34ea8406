import { type Kysely, sql } from 'kysely';
import { isUniqueViolation } from './account-repository.js';
import type { Tables } from './schema.js';
import type { DialectName } from './repl-repository.js';

/** An OpenID provider's user linked to an account. */
export interface Identity {
  issuer: string;
  subject: string;
  accountId: string;
  provider: string;
  email?: string;
  createdAt: string;
  lastSignInAt: string;
}

/**
 * Linked identities: an issuer's subject belongs to exactly one account (the primary key), so a
 * later sign-in finds its account by who the provider says it is, never by an email that may
 * have changed or been given to someone else since.
 */
export class IdentityRepository {
  constructor(
    readonly db: Kysely<Tables>,
    readonly dialect: DialectName = 'sqlite',
  ) {}

  async find(issuer: string, subject: string): Promise<Identity | undefined> {
    const row = await this.db.selectFrom('identities').selectAll().where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
    return row && toIdentity(row);
  }

  /** Links an identity to an account; `taken` when the identity is linked already (to any account). */
  async link(identity: Omit<Identity, 'lastSignInAt'>): Promise<Identity | 'taken'> {
    try {
      await this.db
        .insertInto('identities')
        .values({
          issuer: identity.issuer,
          subject: identity.subject,
          account_id: identity.accountId,
          provider: identity.provider,
          email: identity.email ?? null,
          created_at: identity.createdAt,
          last_signin_at: identity.createdAt,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) return 'taken';
      throw err;
    }
    return { ...identity, lastSignInAt: identity.createdAt };
  }

  /** Records a sign-in: when, and the address the provider gave this time. */
  async signedIn(issuer: string, subject: string, at: string, email: string | undefined): Promise<void> {
    await this.db.updateTable('identities').set({ last_signin_at: at, email: email ?? null }).where('issuer', '=', issuer).where('subject', '=', subject).execute();
  }

  /**
   * Disconnects a provider from an account (every identity of that provider it has). Unless
   * `mayRemoveLast` (the account signs in another way: a password, the owner link), only while
   * another provider stays connected: the check and the delete are one statement (one at a time
   * per account), so two requests at once cannot remove the last way in. `none`: nothing of that provider was connected.
   */
  async unlink(accountId: string, provider: string, mayRemoveLast: boolean): Promise<'unlinked' | 'none' | 'last'> {
    const remove = (db: Kysely<Tables>) =>
      db
        .deleteFrom('identities')
        .where('account_id', '=', accountId)
        .where('provider', '=', provider)
        .$if(!mayRemoveLast, (q) =>
          q.where((eb) => eb.exists(eb.selectFrom('identities as other').select('other.subject').where('other.account_id', '=', accountId).where('other.provider', '<>', provider))),
        )
        .executeTakeFirst();
    // SQLite runs one writer at a time; PostgreSQL's read-committed statements would let two
    // disconnects of an account's last two providers each see the other one still there, so
    // they take turns on a lock named for the account.
    const result =
      this.dialect === 'postgres'
        ? await this.db.transaction().execute(async (trx) => {
            await sql`select pg_advisory_xact_lock(hashtextextended(${'identities-of:' + accountId}, 0))`.execute(trx);
            return remove(trx);
          })
        : await remove(this.db);
    if (result.numDeletedRows > 0n) return 'unlinked';
    const still = await this.db.selectFrom('identities').select('subject').where('account_id', '=', accountId).where('provider', '=', provider).executeTakeFirst();
    return still ? 'last' : 'none';
  }

  /** The identities of an account, oldest first. */
  async ofAccount(accountId: string): Promise<Identity[]> {
    const rows = await this.db.selectFrom('identities').selectAll().where('account_id', '=', accountId).orderBy('created_at').execute();
    return rows.map(toIdentity);
  }
}

function toIdentity(row: Tables['identities']): Identity {
  return {
    issuer: row.issuer,
    subject: row.subject,
    accountId: row.account_id,
    provider: row.provider,
    ...(row.email !== null ? { email: row.email } : {}),
    createdAt: row.created_at,
    lastSignInAt: row.last_signin_at,
  };
}
