import type { Kysely, Selectable } from 'kysely';
import { type Account, toAccount } from './account-repository.js';
import type { SessionsTable, Tables } from './schema.js';

/** A browser's sign-in, as stored (its token only as a hash). */
export interface SessionRecord {
  id: string;
  accountId: string;
  createdAt: string;
  lastSeenAt: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  userAgent?: string;
  address?: string;
  revoked: boolean;
}

/** Browser sessions by the SHA-256 of their `cys_` token. */
export class SessionRepository {
  constructor(readonly db: Kysely<Tables>) {}

  async insert(tokenHash: string, session: Omit<SessionRecord, 'revoked'>): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id: session.id,
        token_hash: tokenHash,
        account_id: session.accountId,
        created_at: session.createdAt,
        last_seen_at: session.lastSeenAt,
        expires_at: session.expiresAt,
        user_agent: session.userAgent ?? null,
        address: session.address ?? null,
      })
      .execute();
  }

  /**
   * The live session of this token and its account: not revoked, not expired, and the account
   * not disabled (one query, so disabling an account signs it out of every session at once).
   */
  async resolve(tokenHash: string, now: number): Promise<{ session: SessionRecord; account: Account } | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
      .selectAll('accounts')
      .select(['sessions.id as session_id', 'sessions.created_at as session_created_at', 'sessions.last_seen_at', 'sessions.expires_at', 'sessions.user_agent', 'sessions.address', 'sessions.revoked_at'])
      .where('sessions.token_hash', '=', tokenHash)
      .where('sessions.revoked_at', 'is', null)
      .where('sessions.expires_at', '>', now)
      .where('accounts.disabled', '=', 0)
      .executeTakeFirst();
    if (!row) return undefined;
    const session = toSession({
      id: row.session_id,
      token_hash: tokenHash,
      account_id: row.id,
      created_at: row.session_created_at,
      last_seen_at: row.last_seen_at,
      expires_at: row.expires_at,
      user_agent: row.user_agent,
      address: row.address,
      revoked_at: row.revoked_at,
    });
    return { session, account: toAccount(row) };
  }

  async byId(id: string): Promise<SessionRecord | undefined> {
    const row = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSession(row);
  }

  /** The account's sessions, newest first (revoked and expired ones until they are swept). */
  async listOf(accountId: string): Promise<SessionRecord[]> {
    const rows = await this.db.selectFrom('sessions').selectAll().where('account_id', '=', accountId).orderBy('created_at', 'desc').execute();
    return rows.map(toSession);
  }

  async touch(id: string, at: string): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
  }

  /** Revokes one session; false when it was not live. */
  async revoke(id: string, at: string): Promise<boolean> {
    const result = await this.db.updateTable('sessions').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Revokes every live session of an account; answers how many. */
  async revokeAllOf(accountId: string, at: string): Promise<number> {
    const result = await this.db.updateTable('sessions').set({ revoked_at: at }).where('account_id', '=', accountId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Sessions revoked at or after `at` (ISO time), oldest first: what the proxy's host cookies made through them must stop honouring. */
  async revokedSince(at: string): Promise<Array<{ id: string; revokedAt: string }>> {
    const rows = await this.db.selectFrom('sessions').select(['id', 'revoked_at']).where('revoked_at', '>=', at).orderBy('revoked_at').execute();
    return rows.map((row) => ({ id: row.id, revokedAt: row.revoked_at! }));
  }

  /** Deletes sessions expired by `now` (revoked ones go when they would have expired); answers how many. */
  async sweep(now: number): Promise<number> {
    const result = await this.db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toSession(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: Number(row.expires_at),
    ...(row.user_agent !== null ? { userAgent: row.user_agent } : {}),
    ...(row.address !== null ? { address: row.address } : {}),
    revoked: row.revoked_at !== null,
  };
}
