import { type Kysely, type SelectQueryBuilder, sql, type Updateable } from 'kysely';
import type { Role } from '@codeyard/common/api/auth';
import { type Account, type AccountQuotas, toAccount } from './account-repository.js';
import type { DialectName } from './repl-repository.js';
import type { AccountsTable, Tables } from './schema.js';

/** An account as the admin page lists it: with its repl count, last sign-in and always-on setting. */
export interface DirectoryEntry {
  account: Account;
  repls: number;
  /** The newest browser session it started (ISO); null: none kept. */
  lastSignInAt: string | null;
  alwaysOnOverride: number | null;
  /** The admin's own limits for it (null each: the configured default). */
  quotas: AccountQuotas;
}

export interface DirectoryQuery {
  /** Part of the address or the name (any case), or the exact id. */
  q?: string;
  anonymous?: boolean;
  limit: number;
  offset: number;
}

/** What a guarded change answers: done, no such account, or refused because it would leave no admin. */
export type GuardedChange = 'changed' | 'not-found' | 'last-admin';

/** `%`, `_` and the escape character itself, escaped for LIKE … ESCAPE '\'. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The accounts as the admin sees them (the admin page's users), and the two changes that must
 * never leave the server without an admin who can sign in: demoting and disabling. Both are one
 * statement whose condition counts the other admins, so on SQLite (one writer) two admins
 * demoting each other cannot both win; on PostgreSQL the same statement runs under a
 * transaction-scoped advisory lock, since each statement's snapshot alone would let both see the other.
 */
export class UserDirectory {
  constructor(
    readonly db: Kysely<Tables>,
    readonly dialect: DialectName,
  ) {}

  /** The accounts matching `query`, oldest first, and how many match in all. */
  async list(query: DirectoryQuery): Promise<{ entries: DirectoryEntry[]; total: number }> {
    let base = this.db.selectFrom('accounts');
    const q = query.q?.trim();
    if (q) {
      const pattern = likePattern(q);
      base = base.where((eb) => eb.or([eb('id', '=', q), sql<boolean>`email_key like ${pattern} escape '\\'`, sql<boolean>`lower(coalesce(name, '')) like ${pattern} escape '\\'`]));
    }
    if (query.anonymous !== undefined) base = base.where('anonymous', '=', query.anonymous ? 1 : 0);
    const entries = await this.#entries(base.orderBy('created_at').orderBy('id').limit(query.limit).offset(query.offset));
    const total = await base.select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
    return { entries, total: Number(total.n) };
  }

  async byId(id: string): Promise<DirectoryEntry | undefined> {
    return (await this.#entries(this.db.selectFrom('accounts').where('id', '=', id)))[0];
  }

  /** The rows of `from` with their repl count and newest session. */
  async #entries(from: SelectQueryBuilder<Tables, 'accounts', object>): Promise<DirectoryEntry[]> {
    const rows = await from
      .selectAll('accounts')
      .select((eb) => [
        eb.selectFrom('repls').select((e) => e.fn.countAll<number | string | bigint>().as('n')).whereRef('repls.owner', '=', 'accounts.id').as('repl_count'),
        eb.selectFrom('sessions').select((e) => e.fn.max('sessions.created_at').as('m')).whereRef('sessions.account_id', '=', 'accounts.id').as('last_sign_in'),
      ])
      .execute();
    return rows.map((row) => ({
      account: toAccount(row),
      repls: Number(row.repl_count ?? 0),
      lastSignInAt: (row.last_sign_in as string | null) ?? null,
      alwaysOnOverride: row.always_on_allowance ?? null,
      quotas: { repls: row.max_repls ?? null, running: row.max_running ?? null },
    }));
  }

  /** Gives an account a role; refused (`last-admin`) when it is the last enabled admin and the role is not admin. */
  setRole(id: string, role: Role): Promise<GuardedChange> {
    return this.#guarded(id, { role }, role !== 'admin');
  }

  /** Disables or enables an account; disabling the last enabled admin is refused (`last-admin`). */
  setDisabled(id: string, disabled: boolean): Promise<GuardedChange> {
    return this.#guarded(id, { disabled: disabled ? 1 : 0 }, disabled);
  }

  /**
   * Updates one account. With `couldRemoveAdmin`, the update happens only if the row is not an
   * enabled admin, or another enabled (signed-in) admin exists: checked in the same statement.
   */
  async #guarded(id: string, values: Updateable<AccountsTable>, couldRemoveAdmin: boolean): Promise<GuardedChange> {
    const run = async (trx: Kysely<Tables>): Promise<GuardedChange> => {
      let statement = trx.updateTable('accounts').set(values).where('id', '=', id);
      if (couldRemoveAdmin) {
        statement = statement.where((eb) =>
          eb.or([
            eb('role', '<>', 'admin'),
            eb('disabled', '=', 1),
            sql<boolean>`exists (select 1 from accounts other where other.role = 'admin' and other.disabled = 0 and other.anonymous = 0 and other.id <> ${id})`,
          ]),
        );
      }
      const result = await statement.executeTakeFirst();
      if (result.numUpdatedRows === 1n) return 'changed';
      const exists = await trx.selectFrom('accounts').select('id').where('id', '=', id).executeTakeFirst();
      return exists ? 'last-admin' : 'not-found';
    };
    if (this.dialect !== 'postgres') return run(this.db);
    return this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended('codeyard-admins', 0))`.execute(trx);
      return run(trx);
    });
  }
}
