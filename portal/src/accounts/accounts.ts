import { createHash, randomBytes } from 'node:crypto';
import type { ObjectStore } from '../store/object-store.js';

export interface Account {
  id: string;
  createdAt: string;
}

/** Tokens look like `cy_<43 base64url chars>`: 256 random bits. */
const TOKEN_PATTERN = /^cy_[A-Za-z0-9_-]{43}$/;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Anonymous accounts: an account is a bearer token. The store keeps only the token's SHA-256
 * (`accounts/<hash>.json`), so a leaked store does not leak working tokens. A token is long
 * and random, so one unsalted fast hash is enough (no password to brute-force).
 */
export class Accounts {
  readonly #cache = new Map<string, Account>();

  constructor(readonly store: ObjectStore) {}

  async create(): Promise<{ token: string; account: Account }> {
    const token = `cy_${randomBytes(32).toString('base64url')}`;
    const account: Account = { id: `u${randomBytes(10).toString('hex')}`, createdAt: new Date().toISOString() };
    await this.store.put(`accounts/${hashToken(token)}.json`, JSON.stringify(account));
    return { token, account };
  }

  /** The account a token belongs to, or undefined for anything else (malformed, unknown). */
  async resolve(token: string | undefined): Promise<Account | undefined> {
    if (!token || !TOKEN_PATTERN.test(token)) return undefined;
    const hash = hashToken(token);
    const cached = this.#cache.get(hash);
    if (cached) return cached;
    const body = await this.store.get(`accounts/${hash}.json`);
    if (!body) return undefined;
    const account = JSON.parse(body.toString('utf8')) as Account;
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(hash, account);
    return account;
  }
}
