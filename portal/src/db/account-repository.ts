import { type Kysely, type Selectable, sql } from 'kysely';
import { ROLES, type Role } from '@codeyard/common/api/auth';
import type { DialectName } from './repl-repository.js';
import type { AccountsTable, Tables } from './schema.js';

export { ROLES, type Role };

/**
 * An account: a person who signs in (email, password or another way), or an anonymous browser
 * (anonymous mode, and every account of a data folder from before sign-in). A disabled account
 * still exists (its repls with it) but no credential of it works.
 */
export interface Account {
  id: string;
  createdAt: string;
  email?: string;
  /** The address was shown to belong to this person (an invite sent to it, an OpenID provider's word). */
  emailVerified: boolean;
  name?: string;
  role: Role;
  disabled: boolean;
  anonymous: boolean;
}

/** What makes a new signed-in user; without `role`, the first such account of the server is admin, later ones members. */
/** The admin's per-account overrides of the configured limits; null: the default applies. */
export interface AccountQuotas {
  repls: number | null;
  running: number | null;
}

export interface NewUser {
  id: string;
  createdAt: string;
  email?: string;
  emailVerified: boolean;
  name?: string;
  role?: Role;
  passwordHash?: string;
}

/** The key an email is unique by: trimmed and lowercased (two spellings of one address are one account). */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

/** A unique key refused the row (SQLite's message, PostgreSQL's SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === '23505' || (typeof e?.message === 'string' && /UNIQUE constraint failed/i.test(e.message));
}

/** The accounts table, and the legacy `cy_` tokens of anonymous accounts (only their SHA-256 is kept). */
export class AccountRepository {
  constructor(
    readonly db: Kysely<Tables>,
    readonly dialect: DialectName = 'sqlite',
  ) {}

  /** An anonymous account and its token's hash (anonymous mode's `POST /api/session`). */
  async insertAnonymous(tokenHash: string, account: { id: string; createdAt: string }): Promise<Account> {
    // Two statements, no transaction (see ReplRepository.insertWithinLimit on SQLite transactions):
    // the account first, so a token never points at nothing; a failed token insert leaves an
    // account nobody can reach, which costs a row and nothing else.
    await this.db.insertInto('accounts').values({ id: account.id, created_at: account.createdAt, anonymous: 1 }).execute();
    await this.db.insertInto('legacy_tokens').values({ token_hash: tokenHash, account_id: account.id }).execute();
    return { ...account, emailVerified: false, role: 'member', disabled: false, anonymous: true };
  }

  /**
   * Stores a signed-in user; `email-taken` when the address (in any spelling) has an account.
   * Without a role the statement itself decides: admin when no signed-in account exists yet,
   * else member. On PostgreSQL two first sign-ups at once are serialized by a lock (each
   * statement's snapshot alone would let both see none); SQLite runs one write at a time.
   */
  /**
   * Takes back an account made a moment ago whose purpose failed (a sign-up through a join link
   * that lost the link to another account): only while it has no browser session, so nothing was
   * done with it yet. Answers whether it was deleted.
   */
  async deleteUnused(id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('accounts')
      .where('id', '=', id)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('sessions').select('sessions.id').whereRef('sessions.account_id', '=', 'accounts.id'))))
      .executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  async insertUser(user: NewUser): Promise<Account | 'email-taken'> {
    const key = user.email === undefined ? null : emailKey(user.email);
    const role = user.role ? sql`${user.role}` : sql`case when exists (select 1 from accounts where anonymous = 0) then 'member' else 'admin' end`;
    const insert = sql`insert into accounts (id, created_at, email, email_key, email_verified, name, role, password_hash)
      select ${user.id}, ${user.createdAt}, ${user.email?.trim() ?? null}, ${key}, ${user.emailVerified ? 1 : 0}, ${user.name ?? null}, ${role}, ${user.passwordHash ?? null}`;
    try {
      if (this.dialect === 'postgres') {
        await this.db.transaction().execute(async (trx) => {
          await sql`select pg_advisory_xact_lock(hashtextextended('codeyard-first-account', 0))`.execute(trx);
          await insert.execute(trx);
        });
      } else {
        await insert.execute(this.db);
      }
    } catch (err) {
      if (isUniqueViolation(err)) return 'email-taken';
      throw err;
    }
    const stored = await this.byId(user.id);
    if (!stored) throw new Error(`account ${user.id} was stored but cannot be read back`);
    return stored;
  }

  async byId(id: string): Promise<Account | undefined> {
    const row = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toAccount(row);
  }

  /** The account with this address, however it is capitalized. */
  async byEmail(email: string): Promise<Account | undefined> {
    const row = await this.db.selectFrom('accounts').selectAll().where('email_key', '=', emailKey(email)).executeTakeFirst();
    return row && toAccount(row);
  }

  /** The account of a legacy `cy_` token (disabled ones too: the caller decides). */
  async byTokenHash(tokenHash: string): Promise<Account | undefined> {
    const row = await this.db
      .selectFrom('legacy_tokens')
      .innerJoin('accounts', 'accounts.id', 'legacy_tokens.account_id')
      .selectAll('accounts')
      .where('legacy_tokens.token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row && toAccount(row);
  }

  /** The account with this address and its password hash (none when it has no password). */
  async withPasswordHash(email: string): Promise<{ account: Account; passwordHash?: string } | undefined> {
    const row = await this.db.selectFrom('accounts').selectAll().where('email_key', '=', emailKey(email)).executeTakeFirst();
    return row && { account: toAccount(row), ...(row.password_hash ? { passwordHash: row.password_hash } : {}) };
  }

  /** Whether the account has a password to sign in with. */
  async hasPassword(id: string): Promise<boolean> {
    const row = await this.db.selectFrom('accounts').select('password_hash').where('id', '=', id).executeTakeFirst();
    return Boolean(row?.password_hash);
  }

  async setPasswordHash(id: string, passwordHash: string | null): Promise<boolean> {
    const result = await this.db.updateTable('accounts').set({ password_hash: passwordHash }).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Disables or enables an account; false when there is no such account. */
  async setDisabled(id: string, disabled: boolean): Promise<boolean> {
    const result = await this.db.updateTable('accounts').set({ disabled: disabled ? 1 : 0 }).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async setRole(id: string, role: Role): Promise<boolean> {
    const result = await this.db.updateTable('accounts').set({ role }).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Whether an admin who may sign in exists (else the portal prints a way to make one). */
  async hasAdmin(): Promise<boolean> {
    const row = await this.db.selectFrom('accounts').select('id').where('role', '=', 'admin').where('disabled', '=', 0).where('anonymous', '=', 0).executeTakeFirst();
    return row !== undefined;
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

  /** The admin's quotas for the account (null: the configured default applies); undefined: no such account. */
  async quotas(id: string): Promise<AccountQuotas | undefined> {
    const row = await this.db.selectFrom('accounts').select(['max_repls', 'max_running']).where('id', '=', id).executeTakeFirst();
    return row && { repls: row.max_repls ?? null, running: row.max_running ?? null };
  }

  /**
   * Sets the quotas named in `change` (null clears one: the default again), leaving the others;
   * false when there is no such account.
   */
  async setQuotas(id: string, change: Partial<AccountQuotas>): Promise<boolean> {
    const set = { ...(change.repls !== undefined ? { max_repls: change.repls } : {}), ...(change.running !== undefined ? { max_running: change.running } : {}) };
    if (Object.keys(set).length === 0) return (await this.quotas(id)) !== undefined;
    const result = await this.db.updateTable('accounts').set(set).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}

/** A row as the rest of the portal sees an account (flags as booleans, no password hash). */
export function toAccount(row: Selectable<AccountsTable>): Account {
  return {
    id: row.id,
    createdAt: row.created_at,
    ...(row.email !== null ? { email: row.email } : {}),
    emailVerified: Number(row.email_verified) === 1,
    ...(row.name !== null ? { name: row.name } : {}),
    role: (ROLES as readonly string[]).includes(row.role) ? (row.role as Role) : 'member',
    disabled: Number(row.disabled) === 1,
    anonymous: Number(row.anonymous) === 1,
  };
}
