import { createHash, randomBytes } from 'node:crypto';
import type { Account, AccountRepository } from '../db/account-repository.js';

export type { Account };

/** Tokens look like `cy_<43 base64url chars>`: 256 random bits. */
const TOKEN_PATTERN = /^cy_[A-Za-z0-9_-]{43}$/;

/** The key an account is kept under: its token's SHA-256, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Anonymous accounts: an account is a bearer token. The database keeps only the token's SHA-256,
 * so a leaked database does not leak working tokens. A token is long and random, so one unsalted
 * fast hash is enough (no password to brute-force). Nothing is cached in the portal: every
 * replica sees the same accounts.
 */
export class Accounts {
  constructor(readonly repository: AccountRepository) {}

  async create(): Promise<{ token: string; account: Account }> {
    const token = `cy_${randomBytes(32).toString('base64url')}`;
    const account: Account = { id: `u${randomBytes(10).toString('hex')}`, createdAt: new Date().toISOString() };
    await this.repository.insert(hashToken(token), account);
    return { token, account };
  }

  /** The account with this id (a personal API token or a session names its account by id). */
  async byId(id: string): Promise<Account | undefined> {
    return this.repository.byId(id);
  }

  /** The account a token belongs to, or undefined for anything else (malformed, unknown). */
  async resolve(token: string | undefined): Promise<Account | undefined> {
    if (!token || !TOKEN_PATTERN.test(token)) return undefined;
    return this.repository.byTokenHash(hashToken(token));
  }
}
