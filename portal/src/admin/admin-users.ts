import type { AdminLimits, AdminUser, AdminUserChange, AdminUsers as AdminUsersPage } from '@codeyard/common/api/admin';
import { AppError, describeError } from '@codeyard/common/errors';
import type { Accounts } from '../accounts/accounts.js';
import type { AccountRepository } from '../db/account-repository.js';
import type { SessionRepository } from '../db/session-repository.js';
import type { DirectoryEntry, DirectoryQuery, GuardedChange, UserDirectory } from '../db/user-directory.js';
import type { ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';

export interface AdminUsersOptions {
  directory: UserDirectory;
  accounts: Accounts;
  sessions: SessionRepository;
  repls: ReplService;
  runtime: Runtime;
  /** CODEYARD_ALWAYS_ON_PER_ACCOUNT: an account's allowance when the admin set none. */
  alwaysOnPerAccount: number;
  /** Where the admin's own limits of an account are kept. */
  quotas: Pick<AccountRepository, 'setQuotas'>;
  /** CODEYARD_MAX_REPLS_PER_ACCOUNT and CODEYARD_MAX_RUNNING_PER_ACCOUNT: an account's limits when the admin set none. */
  defaultLimits: { repls: number; running: number };
  now?: () => number;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** What a change did, for the audit log: each field present only when it changed. */
export interface UserChangeResult {
  user: AdminUser;
  role?: { from: AdminUser['role']; to: AdminUser['role'] };
  disabled?: boolean;
  /** Repls stopped because the account was disabled. */
  stopped?: string[];
}

function lastAdmin(who: string, what: string): AppError {
  return new AppError('LAST_ADMIN', `${who} is the only admin who can sign in: ${what} would leave this server without one. Make another account admin first`);
}

/**
 * The admin page's users: who has an account here, with their repls, and the changes only an
 * admin makes (role, disabled). A disabled account is out everywhere at once: its sessions are
 * revoked, its tokens refused (each request reads the flag), and its running repls stopped, so
 * an IDE already open in a browser goes too (the proxy will not wake a disabled owner's repl).
 */
export class AdminUsers {
  readonly #o: AdminUsersOptions;

  constructor(options: AdminUsersOptions) {
    this.#o = options;
  }

  /** Running repls per owner on this server now (from the runtime, not the records). */
  async #runningByOwner(): Promise<Map<string, string[]>> {
    const byOwner = new Map<string, string[]>();
    for (const id of this.#o.runtime.active()) {
      const owner = (await this.#o.repls.record(id))?.owner;
      if (owner) byOwner.set(owner, [...(byOwner.get(owner) ?? []), id]);
    }
    return byOwner;
  }

  #view(entry: DirectoryEntry, running: Map<string, string[]>): AdminUser {
    const { account } = entry;
    return {
      id: account.id,
      email: account.email ?? null,
      name: account.name ?? null,
      role: account.role,
      disabled: account.disabled,
      anonymous: account.anonymous,
      createdAt: account.createdAt,
      lastSignInAt: entry.lastSignInAt,
      repls: entry.repls,
      running: running.get(account.id)?.length ?? 0,
      alwaysOn: { allowance: entry.alwaysOnOverride ?? this.#o.alwaysOnPerAccount, override: entry.alwaysOnOverride },
      limits: {
        repls: { value: entry.quotas.repls ?? this.#o.defaultLimits.repls, override: entry.quotas.repls },
        running: { value: entry.quotas.running ?? this.#o.defaultLimits.running, override: entry.quotas.running },
      },
    };
  }

  async list(query: Omit<DirectoryQuery, 'id'>): Promise<AdminUsersPage> {
    const [{ entries, total }, running] = await Promise.all([this.#o.directory.list(query), this.#runningByOwner()]);
    return { users: entries.map((e) => this.#view(e, running)), total };
  }

  async get(id: string): Promise<AdminUser> {
    const entry = await this.#o.directory.byId(id);
    if (!entry) throw new AppError('NOT_FOUND', `no account ${id}`);
    return this.#view(entry, await this.#runningByOwner());
  }

  /**
   * Changes an account's role and/or whether it is disabled. Refused (409 LAST_ADMIN) when it
   * would leave no enabled admin; an anonymous account gets no role (it cannot sign in as a person).
   */
  async change(id: string, change: AdminUserChange): Promise<UserChangeResult> {
    const before = await this.get(id);
    const result: Omit<UserChangeResult, 'user'> = {};
    const check = (outcome: GuardedChange, what: string): void => {
      if (outcome === 'not-found') throw new AppError('NOT_FOUND', `no account ${id}`);
      if (outcome === 'last-admin') throw lastAdmin(before.email ?? id, what);
    };
    const newRole = change.role !== undefined && change.role !== before.role ? change.role : undefined;
    if (newRole && before.anonymous) throw new AppError('CONFLICT', `${id} is an anonymous account (a browser, not a person who signs in): it stays a member`);
    const setRole = async (role: AdminUser['role']): Promise<void> => {
      check(await this.#o.directory.setRole(id, role), `making it a ${role}`);
      result.role = { from: before.role, to: role };
    };
    const setDisabled = async (disabled: boolean): Promise<void> => {
      check(await this.#o.directory.setDisabled(id, disabled), 'disabling it');
      result.disabled = disabled;
    };
    // Ordered so that a body with both never half-applies: the step that may be refused (the last
    // admin) comes first, and the second then cannot be (demoting a disabled account, promoting or
    // enabling one never removes an admin).
    const disabling = change.disabled === true && !before.disabled;
    const enabling = change.disabled === false && before.disabled;
    if (disabling) await setDisabled(true);
    if (newRole) await setRole(newRole);
    if (enabling) await setDisabled(false);
    if (disabling) {
      await this.#o.sessions.revokeAllOf(id, new Date((this.#o.now ?? Date.now)()).toISOString());
      result.stopped = await this.#stopAll(id);
    }
    this.#o.log.info({ account: id, ...result }, 'account changed by an admin');
    return { user: await this.get(id), ...result };
  }

  /**
   * Sets an account's password (an admin's reset: there is no reset by mail) and signs it out of
   * every browser, so whoever knew the old one is out. Only for an account that signs in with its
   * address; a weak password is refused as at sign-up.
   */
  async setPassword(id: string, password: string): Promise<AdminUser> {
    const before = await this.get(id);
    if (before.anonymous || !before.email) throw new AppError('CONFLICT', `${before.email ?? id} has no address to sign in with, so no password: it signs in another way`);
    await this.#o.accounts.setPassword(id, password);
    await this.#o.sessions.revokeAllOf(id, new Date((this.#o.now ?? Date.now)()).toISOString());
    this.#o.log.info({ account: id }, 'password set by an admin');
    return this.get(id);
  }

  /**
   * Sets an account's own limits (null: the server's default again; a field left out stays).
   * Lowering one below what the account uses takes nothing away: it has to delete or stop repls
   * before it may make or start another.
   */
  async setLimits(id: string, change: AdminLimits): Promise<AdminUser> {
    if (!(await this.#o.quotas.setQuotas(id, change))) throw new AppError('NOT_FOUND', `no account ${id}`);
    this.#o.log.info({ account: id, ...change }, 'account limits set by an admin');
    return this.get(id);
  }

  /** Stops every running repl of an account (its files saved as at any stop); answers which. */
  async #stopAll(owner: string): Promise<string[]> {
    const ids = (await this.#runningByOwner()).get(owner) ?? [];
    const stopped: string[] = [];
    for (const id of ids) {
      try {
        await this.#o.repls.stop(owner, id);
        stopped.push(id);
      } catch (err) {
        this.#o.log.error({ replId: id, owner, err: describeError(err) }, 'could not stop a repl of a disabled account');
      }
    }
    return stopped;
  }
}
