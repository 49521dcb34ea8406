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
