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

  /** The admin's always-on allowance for the account; undefined: the configured default applies. */
  async alwaysOnAllowance(id: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('accounts').select('always_on_allowance').where('id', '=', id).executeTakeFirst();
    return row?.always_on_allowance ?? undefined;
  }

  /** Sets (or, with null, clears) the account's always-on allowance; false when there is no such account. */
  async setAlwaysOnAllowance(id: string, allowance: number | null): Promise<boolean> {
    const result = await this.db.updateTable('accounts').set({ always_on_allowance: allowance }).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async byId(id: string): Promise<Account | undefined> {
    const row = await this.db.selectFrom('accounts').select(['id', 'created_at']).where('id', '=', id).executeTakeFirst();
    return row && { id: row.id, createdAt: row.created_at };
  }

  async byTokenHash(tokenHash: string): Promise<Account | undefined> {
    const row = await this.db.selectFrom('accounts').select(['id', 'created_at']).where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && { id: row.id, createdAt: row.created_at };
  }
}
