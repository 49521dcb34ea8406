/** Timers, injected so the reconnection rules are tested step by step with no real waiting. */
export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realScheduler: Scheduler = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** Waits between tries: quick at first (a restart takes seconds), then every 30 s. */
export const RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

export function retryDelay(attempt: number): number {
  return RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]!;
}

/**
 * Brings a lost connection back by itself: after each failure it waits (retryDelay), asks
 * `probe` whether the server answers, and calls `reconnect` once it does. `retryNow` (the
 * overlay's button) skips the wait. Never two tries at once; `stop` ends it for good.
 */
export class Reconnector {
  #attempt = 0;
  #timer: unknown;
  #trying = false;
  #stopped = false;

  constructor(
    private readonly options: {
      scheduler: Scheduler;
      probe(): Promise<boolean>;
      reconnect(): Promise<void> | void;
      /** Told when the next try is due (for the overlay's "retrying in 5 s"). */
      onWaiting(attempt: number, retryAt: number): void;
    },
  ) {}

  get attempt(): number {
    return this.#attempt;
  }

  /** The connection was lost (again): schedule the next try. */
  failed(): void {
    if (this.#stopped || this.#trying) return;
    this.options.scheduler.clearTimeout(this.#timer);
    const delay = retryDelay(this.#attempt);
    const retryAt = this.options.scheduler.now() + delay;
    this.options.onWaiting(this.#attempt + 1, retryAt);
    this.#timer = this.options.scheduler.setTimeout(() => void this.#try(), delay);
  }

  retryNow(): void {
    if (this.#stopped || this.#trying) return;
    this.options.scheduler.clearTimeout(this.#timer);
    void this.#try();
  }

  /** The connection works: the next failure starts from the shortest wait again. */
  succeeded(): void {
    this.#attempt = 0;
    this.options.scheduler.clearTimeout(this.#timer);
  }

  async #try(): Promise<void> {
    this.#trying = true;
    this.#attempt += 1;
    let up = false;
    try {
      up = await this.options.probe();
    } catch {
      up = false;
    }
    this.#trying = false;
    if (this.#stopped) return;
    if (!up) return this.failed();
    try {
      await this.options.reconnect();
    } catch {
      this.failed();
    }
  }

  stop(): void {
    this.#stopped = true;
    this.options.scheduler.clearTimeout(this.#timer);
  }
}
