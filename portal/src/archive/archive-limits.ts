import { releaseOnce, Tally } from '@codeyard/common/concurrency';
import { AppError } from '@codeyard/common/errors';

/**
 * Admits at most `perKey` tasks at once per key (an account) and `total` in all; one more is
 * refused at once with RATE_LIMITED (429) rather than queued, so heavy work (archive imports
 * and exports) can neither pile up in memory nor let one account crowd out the others.
 */
export class KeyedLimiter {
  readonly #running = new Tally<string>();
  #total = 0;

  constructor(readonly what: string, readonly perKey: number, readonly total = Infinity) {}

  /** Takes a slot for `key`; answers its release (idempotent), or throws when full. */
  acquire(key: string): () => void {
    const mine = this.#running.count(key);
    if (mine >= this.perKey) throw new AppError('RATE_LIMITED', `${this.perKey} ${this.what} of this account are already running; try again when one ends`);
    if (this.#total >= this.total) throw new AppError('RATE_LIMITED', `the server is busy with ${this.total} ${this.what}; try again in a moment`);
    this.#running.add(key);
    this.#total++;
    return releaseOnce(() => {
      this.#total--;
      this.#running.remove(key);
    });
  }

  /** Runs `task` in a slot for `key`. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const release = this.acquire(key);
    try {
      return await task();
    } finally {
      release();
    }
  }
}

/**
 * Archive imports and exports running at once: 2 per account, 8 in the whole portal process;
 * beyond that, 429. Each holds an upload or a stream of a whole workspace, so they are the
 * portal's heavy requests. Process-wide on purpose: what it guards (this process's memory and
 * CPU) is too.
 */
export const archiveWork = new KeyedLimiter('archive imports and exports', 2, 8);
