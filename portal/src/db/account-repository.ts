import type { Kysely } from 'kysely';
import type { Tables } from './schema.js';

export interface Account {
  id: string;
  createdAt: string;
}

/** Accounts by the SHA-256 of their token (the token itself is never stored). */
export class AccountRepository {
  constructor(readonly db: Kysely<Tables>) {}

  async insert(tokenHash: string, account: Account): Promise<void> {
    await this.db.insertInto('accounts').values({ token_hash: tokenHash, id: account.id, created_at: account.createdAt }).execute();
  }

  async byTokenHash(tokenHash: string): Promise<Account | undefined> {
    const row = await this.db.selectFrom('accounts').select(['id', 'created_at']).where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && { id: row.id, createdAt: row.created_at };
  }
}
