import { describeError } from '@codeyard/common/errors';
import type { ActivityRepository } from '../db/activity-repository.js';
import type { ReplRecord } from '../repls/repl-record.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ActivityTracker } from './activity-tracker.js';

export interface IdleSweeperOptions {
  runtime: Pick<Runtime, 'active' | 'status'>;
  /** What this portal saw. */
  tracker: Pick<ActivityTracker, 'lastActive'>;
  /** What every portal wrote (this one included). */
  activity: Pick<ActivityRepository, 'lastActive'>;
  record(id: string): Promise<ReplRecord | undefined>;
  /** The normal stop (files saved). */
  stop(record: ReplRecord): Promise<void>;
  /** A repl quiet this long is stopped (CODEYARD_IDLE_MINUTES). */
  idleMs: number;
  /** How far behind the database may be on another portal's activity (its tracker's flush interval). */
  sharedLagMs: number;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Stops the repls this portal runs that nobody has used for `idleMs`: no IDE connection open,
 * no preview or app traffic, no exec or API call on them, here or through any other portal
 * sharing the database. The last activity is the newest of: what this portal saw, what the
 * database holds plus `sharedLagMs` (another portal writes at most that late: see
 * ActivityTracker), and when the repl last became running (a start is activity, and a repl
 * adopted at startup has no history yet). Always-on repls are never stopped. The stop is the
 * normal one: files saved; the next visit wakes the repl.
 *
 * Only repls in this portal's runtime are considered: a portal stops only what it runs, and
 * with a runtime several portals share each decides on the same newest activity.
 */
export class IdleSweeper {
  readonly #o: IdleSweeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<string[]> | undefined;

  constructor(options: IdleSweeperOptions) {
    this.#o = options;
  }

  /** Sweeps every `everyMs` until close(). */
  start(everyMs: number): void {
    this.#timer ??= setInterval(() => void this.sweep(), everyMs);
    this.#timer.unref();
  }

  /** One pass (never two at once); answers the ids it stopped. */
  sweep(): Promise<string[]> {
    this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  /** The newest activity on the repl known to this portal alone (no database read). */
  #localLast(id: string, now: number): number {
    const since = Date.parse(this.#o.runtime.status(id).since);
    return Math.max(this.#o.tracker.lastActive(id, now) ?? 0, Number.isNaN(since) ? now : since);
  }

  async #sweep(): Promise<string[]> {
    const { runtime, idleMs } = this.#o;
    const now = Date.now();
    // Cheap first: only what looks quiet from here is looked up in the database.
    const quiet = runtime.active().filter((id) => runtime.status(id).state === 'running' && now - this.#localLast(id, now) > idleMs);
    if (quiet.length === 0) return [];
    let shared: Map<string, number>;
    try {
      shared = await this.#o.activity.lastActive(quiet);
    } catch (err) {
      // Without the other portals' view nothing is stopped: a busy repl must never be.
      this.#o.log.error({ err: describeError(err) }, 'idle check skipped: could not read repl activity');
      return [];
    }
    const stopped: string[] = [];
    for (const id of quiet) {
      const last = Math.max(this.#localLast(id, Date.now()), (shared.get(id) ?? 0) + this.#o.sharedLagMs);
      if (Date.now() - last <= idleMs || runtime.status(id).state !== 'running') continue;
      try {
        const record = await this.#o.record(id);
        if (!record || record.alwaysOn) continue;
        // Checked once more after the await: a visit meanwhile keeps it up.
        if (Date.now() - this.#localLast(id, Date.now()) <= idleMs) continue;
        this.#o.log.info({ replId: id, idleMs: Date.now() - last }, 'stopping an idle repl (files saved; the next visit wakes it)');
        await this.#o.stop(record);
        stopped.push(id);
      } catch (err) {
        this.#o.log.error({ replId: id, err: describeError(err) }, 'could not stop an idle repl');
      }
    }
    return stopped;
  }

  /** Stops sweeping; waits for a pass under way. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sweeping?.catch(() => undefined);
  }
}

/** How often activity is written and repls checked, for an idle limit: a tenth of it, between 50 ms and a minute. */
export function idleIntervalMs(idleMs: number): number {
  return Math.min(60_000, Math.max(50, Math.floor(idleMs / 10)));
}
