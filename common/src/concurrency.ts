/** Runs `fn` over `items` with at most `limit` at a time; the first failure rejects. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

/**
 * Runs tasks one at a time per key, in call order (a failure does not stop the next task).
 * `has(key)` tells whether something for that key is queued or running.
 */
export class KeyedQueue {
  readonly #queues = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    this.#queues.set(key, next);
    void next
      .finally(() => {
        if (this.#queues.get(key) === next) this.#queues.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  has(key: string): boolean {
    return this.#queues.has(key);
  }
}

/** Runs tasks with at most `size` at once; the rest wait their turn, in call order. */
export class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#free = size;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      // The slot goes straight to the next waiter, if any.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** How many holds each key has now (slots, uploads in flight); a key is gone once back to none. */
export class Tally<K> {
  readonly #counts = new Map<K, number>();

  /** Keys with at least one hold. */
  get size(): number {
    return this.#counts.size;
  }

  count(key: K): number {
    return this.#counts.get(key) ?? 0;
  }

  has(key: K): boolean {
    return this.#counts.has(key);
  }

  keys(): IterableIterator<K> {
    return this.#counts.keys();
  }

  add(key: K): void {
    this.#counts.set(key, this.count(key) + 1);
  }

  /** Takes one hold of `key` away (none left: the key is forgotten). */
  remove(key: K): void {
    const left = this.count(key) - 1;
    if (left > 0) this.#counts.set(key, left);
    else this.#counts.delete(key);
  }
}

/** `release` made safe to call more than once: only the first call runs it. */
export function releaseOnce(release: () => void): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}
