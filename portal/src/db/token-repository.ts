import type { Kysely, Selectable } from 'kysely';
import type { Scope } from '@codeyard/common/api/tokens';
import type { ApiTokensTable, Tables } from './schema.js';

/** A personal API token as stored (its hash, never the token). Times are ISO strings. */
export interface ApiTokenRecord {
  id: string;
  tokenHash: string;
  accountId: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function fromRow(row: Selectable<ApiTokensTable>): ApiTokenRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    accountId: row.account_id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Personal API tokens by the SHA-256 of the token, and by account. */
export class ApiTokenRepository {
  constructor(readonly db: Kysely<Tables>) {}

  async insert(record: ApiTokenRecord): Promise<void> {
    await this.db
      .insertInto('api_tokens')
      .values({
        id: record.id,
        token_hash: record.tokenHash,
        account_id: record.accountId,
        name: record.name,
        scopes: JSON.stringify(record.scopes),
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        last_used_at: record.lastUsedAt,
        revoked_at: record.revokedAt,
      })
      .execute();
  }

  async byTokenHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && fromRow(row);
  }

  async byId(id: string): Promise<ApiTokenRecord | undefined> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  /** The account's tokens that are not revoked (expired ones included), newest first. */
  async listByAccount(accountId: string): Promise<ApiTokenRecord[]> {
    const rows = await this.db.selectFrom('api_tokens').selectAll().where('account_id', '=', accountId).where('revoked_at', 'is', null).orderBy('created_at', 'desc').orderBy('id').execute();
    return rows.map(fromRow);
  }

  /** How many of the account's tokens still work at `now` (not revoked, not expired). */
  async countActive(accountId: string, now: string): Promise<number> {
    const row = await this.db
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Revokes the account's token `id`; false when it has no such token, or it was revoked already. */
  async revoke(accountId: string, id: string, now: string): Promise<boolean> {
    const result = await this.db.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', id).where('account_id', '=', accountId).where('revoked_at', 'is', null).executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Tokens revoked at or after `at` (ISO time), oldest first (see SessionRepository.revokedSince). */
  async revokedSince(at: string): Promise<Array<{ id: string; revokedAt: string }>> {
    const rows = await this.db.selectFrom('api_tokens').select(['id', 'revoked_at']).where('revoked_at', '>=', at).orderBy('revoked_at').execute();
    return rows.map((row) => ({ id: row.id, revokedAt: row.revoked_at! }));
  }

  /**
   * Records a use at `now` unless one at or after `since` is recorded already: one conditional
   * write, so portals sharing the database write a token's last use at most once per interval
   * between them, not once per request.
   */
  async touch(id: string, now: string, since: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_tokens')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', since)]))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}
