import { AgentClient } from '@codeyard/common/agent/client';
import { AppError, describeError } from '@codeyard/common/errors';
import type { AccountRepository } from '../db/account-repository.js';
import type { ReplRepository } from '../db/repl-repository.js';
import type { Runtime } from '../runtime/runtime.js';

export interface AlwaysOnOptions {
  records: ReplRepository;
  accounts: AccountRepository;
  runtime: Runtime;
  /** Repls an account may keep always on unless the admin set its own allowance (CODEYARD_ALWAYS_ON_PER_ACCOUNT). */
  perAccount: number;
  /** Start the app of every always-on repl that becomes running (false on proxy replicas: the portal's do it). */
  followStarts?: boolean;
  /** Awaited before it runs the app of a repl that became running: the repl's secrets (secrets/secret-delivery.ts). */
  beforeApp?: (id: string) => Promise<void>;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Always-on repls: an owner marks a repl so (within the account's allowance, which the admin
 * may set per account), and from then on it is never stopped for being idle (IdleSweeper reads
 * the flag), its app is started whenever the repl starts, and the agent restarts the app after
 * a crash (its keep-running policy, with backoff and a bound: agent/src/restart-policy.ts). A
 * sandbox that dies is restarted by the runtime's crash monitor; the agent it starts reads the
 * policy back from its state folder and starts the app by itself.
 */
export class AlwaysOn {
  readonly #o: AlwaysOnOptions;
  readonly #unwatch: () => void;

  constructor(options: AlwaysOnOptions) {
    this.#o = options;
    // Every start of an always-on repl (API, wake on visit, a restart) runs its app, kept running.
    this.#unwatch =
      options.followStarts === false
        ? () => undefined
        : options.runtime.watch((id, status) => {
            if (status.state === 'running') void this.#keep(id);
          });
  }

  /** How many repls the account may keep always on: the admin's setting, else the default. */
  async allowance(owner: string): Promise<number> {
    return (await this.#o.accounts.alwaysOnAllowance(owner)) ?? this.#o.perAccount;
  }

  /**
   * The admin sets an account's own allowance (null: back to the default). Lowering it below what
   * the account uses turns nothing off: it only refuses more until the account is under it.
   */
  async setAllowance(account: string, override: number | null): Promise<{ account: string; allowance: number; override: number | null; using: number }> {
    if (!(await this.#o.accounts.setAlwaysOnAllowance(account, override))) throw new AppError('NOT_FOUND', `no account ${account}`);
    this.#o.log.info({ account, override }, 'always-on allowance set');
    return { account, allowance: override ?? this.#o.perAccount, override, using: (await this.#o.records.alwaysOnOf(account)).length };
  }

  /**
   * Marks a repl of `owner` always on or off. Refused (409 LIMIT_REACHED, naming the repls that
   * use the allowance) when the account's allowance is used up; the count and the change are
   * one database statement, so two requests racing (on any portal) cannot overrun it. True when
   * it changed (false: it already was).
   */
  async set(owner: string, id: string, on: boolean): Promise<boolean> {
    const allowance = on ? await this.allowance(owner) : 0;
    const outcome = await this.#o.records.setAlwaysOn(id, owner, on, allowance);
    if (outcome === 'missing') throw new AppError('NOT_FOUND', `no repl ${id}`);
    if (outcome === 'limit') {
      const using = await this.#o.records.alwaysOnOf(owner);
      const what = allowance === 0 ? 'no repls always on' : `${allowance} repl${allowance === 1 ? '' : 's'} always on`;
      const which = using.length ? ` (${using.map((r) => r.name).join(', ')})` : '';
      throw new AppError('LIMIT_REACHED', `this account may keep ${what} (its always-on allowance) and uses it${which}; turn one off first, or ask the administrator for a larger allowance`, { allowance, using: using.map((r) => r.id) });
    }
    if (outcome === 'unchanged') return false;
    this.#o.log.info({ replId: id, owner, alwaysOn: on }, on ? 'repl marked always on' : 'repl no longer always on');
    // A running repl hears it at once; a stopped one at its next start (see #keep).
    if (this.#o.runtime.endpoints(id)) await this.#apply(id, on).catch((err: unknown) => this.#o.log.error({ replId: id, err: describeError(err) }, 'could not tell the repl agent its keep-running policy'));
    return true;
  }

  async #keep(id: string): Promise<void> {
    try {
      const record = await this.#o.records.get(id);
      if (!record?.alwaysOn) return;
      await this.#o.beforeApp?.(id);
      await this.#apply(id, true);
    } catch (err) {
      this.#o.log.error({ replId: id, err: describeError(err) }, 'could not start an always-on repl\'s app');
    }
  }

  /** The agent's keep-running policy; turned on, the app is started too (a no-op when it runs). */
  async #apply(id: string, on: boolean): Promise<void> {
    const endpoints = this.#o.runtime.endpoints(id);
    if (!endpoints) return;
    const agent = new AgentClient(endpoints.agent);
    await agent.setAppPolicy({ keepRunning: on });
    if (on) await agent.startApp();
  }

  close(): void {
    this.#unwatch();
  }
}
