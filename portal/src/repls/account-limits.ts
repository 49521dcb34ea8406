import { CLASS_OWNER_PREFIX } from '@codeyard/common/api/classes';
import type { LimitReachedDetails } from '@codeyard/common/api/requests';
import { AppError } from '@codeyard/common/errors';
import type { CapacityGate } from '../capacity/capacity-gate.js';
import type { Runtime, SandboxId } from '../runtime/runtime.js';
import { Admission } from './admission.js';
import type { ReplRecord } from './repl-record.js';

/** Runs the machine's admission and the start (`admit`), with the id of a warm sandbox it takes when it takes one. */
export type WarmHook = (admit: (adopts?: SandboxId) => Promise<void>) => Promise<void>;

/** The admin's own limits of an account (null each, or undefined for no such account: the defaults). */
export type AccountQuotaSource = (owner: string) => Promise<{ repls: number | null; running: number | null } | undefined>;

/**
 * An account's repl limit and running limit, checked before the work they guard: the admin's
 * setting for the account when there is one (read at each check, so a change applies at once),
 * else the configured default. Within one
 * portal a check and its admission are one step per account (see Admission); across portals the
 * repl limit is held by the database's conditional insert, which counts every portal's repls.
 */
export class AccountLimits {
  /** Starts admitted against the account's running limit and not finished yet. */
  readonly #starts = new Admission();
  /** New repls (create, fork, import) admitted against the account's repl limit, not stored yet. */
  readonly #creations = new Admission();

  constructor(
    readonly options: {
      runtime: Runtime;
      limits: { repls: number; running: number };
      /** The account's own limits; without it every account has the defaults. */
      quotas?: AccountQuotaSource;
      list(owner: string): Promise<ReplRecord[]>;
    },
  ) {}

  /** The limits of `owner` now: its own where the admin set them, the configured ones otherwise. */
  async limitsOf(owner: string): Promise<{ repls: number; running: number }> {
    const own = await this.options.quotas?.(owner);
    return { repls: own?.repls ?? this.options.limits.repls, running: own?.running ?? this.options.limits.running };
  }

  /** Makes a new repl unless the account has as many as it may: one admission at a time per account. */
  create<T>(owner: string, id: string, work: () => Promise<T>): Promise<T> {
    return this.#creations.run(owner, id, () => this.#checkReplLimit(owner), work);
  }

  /** Refuses early, before any file is copied; the insert checks again, against every portal's repls. */
  async #checkReplLimit(owner: string): Promise<void> {
    const owned = new Set((await this.options.list(owner)).map((r) => r.id));
    for (const id of this.#creations.held(owner)) owned.add(id);
    const limit = (await this.limitsOf(owner)).repls;
    if (owned.size >= limit) throw replLimitReached(owned.size, limit);
  }

  /**
   * Starts a repl unless the account already runs as many as it may. The count and the admission
   * are one step per account, and an admitted start counts until the runtime reports it.
   */
  start(owner: string, record: ReplRecord, start: () => Promise<void>): Promise<void> {
    return this.#starts.run(owner, record.id, () => this.#checkRunningLimit(owner, record.id), start);
  }

  /**
   * Starts a repl within the account's running limit and when the machine has room (`capacity`):
   * else it waits in line (SERVER_FULL), and once room appears it is started (the account's limit
   * checked again: the account may have started others meanwhile) followed by `afterQueued`, what
   * the caller would have done once it ran. `warm` may give the start a warm sandbox (warm-start.ts).
   */
  startAdmitted(owner: string, record: ReplRecord, capacity: CapacityGate, start: () => Promise<void>, afterQueued?: () => Promise<unknown>, warm?: WarmHook): Promise<void> {
    const queued = async (): Promise<void> => {
      await this.start(owner, record, start);
      await afterQueued?.();
    };
    // A repl with a memory limit of its own (a class's per-student limit) is counted at it where it is below the estimate.
    const own = record.memoryMb ? { memoryLimitBytes: record.memoryMb * 1024 * 1024 } : {};
    const admit = (adopts?: SandboxId): Promise<void> => capacity.start(record.id, owner, start, queued, { ...own, adopts });
    // Between the two admissions: a start the account may not make takes no warm sandbox.
    return this.start(owner, record, () => (warm ? warm(admit) : admit()));
  }

  /**
   * Refuses early a repl about to be made and started (POST /api/repls with `start`) when the
   * account already runs as many as it may, so no repl is made that could not start. The start
   * itself is checked again (another start may come between).
   */
  checkCanStart(owner: string, id: string): Promise<void> {
    return this.#checkRunningLimit(owner, id);
  }

  /** Refuses to start one more repl of an account that already runs as many as it may. */
  async #checkRunningLimit(owner: string, id: string): Promise<void> {
    const { runtime } = this.options;
    // A class's repl nobody joined yet (owner `class:<id>`) belongs to no account: only the machine's admission holds it.
    if (owner.startsWith(CLASS_OWNER_PREFIX)) return;
    const live = (replId: string): boolean => ['running', 'starting'].includes(runtime.status(replId).state);
    if (live(id)) return;
    const active = new Set(runtime.active());
    const admitted = new Set(this.#starts.held(owner));
    const running = (await this.options.list(owner)).filter((r) => r.id !== id && (admitted.has(r.id) || (active.has(r.id) && live(r.id))));
    const limit = (await this.limitsOf(owner)).running;
    if (running.length >= limit) {
      const details: LimitReachedDetails = { limit: 'running', max: limit, running: running.map((r) => ({ id: r.id, name: r.name })) };
      throw new AppError(
        'LIMIT_REACHED',
        `this account may run ${limit} repl${limit === 1 ? '' : 's'} at once (the running limit) and ${running.length} are running or starting (${running.map((r) => r.name).join(', ')}); stop one first`,
        details,
      );
    }
  }
}

/** The refusal of one more repl to an account that has `count`. */
export function replLimitReached(count: number, max = count): AppError {
  const details: LimitReachedDetails = { limit: 'repls', max };
  return new AppError('LIMIT_REACHED', `this account has ${count} repls, the most it may have (the repl limit); delete one first`, details);
}
