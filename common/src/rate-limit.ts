/**
 * Token buckets per key (a client address): `capacity` requests at once, refilled at
 * `perMinute` a minute. Bounded: when `maxKeys` is reached the oldest keys are forgotten,
 * which can only let a forgotten client through early, never lock one out.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #maxKeys: number;

  constructor(options: { perMinute: number; capacity?: number; maxKeys?: number }) {
    this.#capacity = options.capacity ?? options.perMinute;
    this.#perMs = options.perMinute / 60_000;
    this.#maxKeys = options.maxKeys ?? 50_000;
  }

  /** Takes one token; answers 0 when allowed, else the seconds until one is available. */
  take(key: string, now = Date.now()): number {
    let bucket = this.#buckets.get(key);
    if (bucket) {
      this.#buckets.delete(key); // re-inserted below: the map stays in least-recently-used order
      bucket.tokens = Math.min(this.#capacity, bucket.tokens + (now - bucket.at) * this.#perMs);
      bucket.at = now;
    } else {
      bucket = { tokens: this.#capacity, at: now };
      if (this.#buckets.size >= this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000));
  }
}
