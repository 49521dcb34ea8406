import type { ReplRecord } from './repl-record.js';

/**
 * The records the proxy reads on every request to a repl host, kept for a moment: without it each
 * proxied request is a database query (37 µs on SQLite here, a round trip on PostgreSQL). Every
 * change this portal makes forgets the record at once, and every change another portal makes
 * does when its event arrives; `ttlMs` bounds how long an event lost on the way (a dropped
 * LISTEN connection) can leave a record stale.
 */
export class RecordCache {
  readonly #entries = new Map<string, { record: ReplRecord | undefined; until: number }>();
  /** Changes forgotten so far: a load that a change overlapped is not kept. */
  #changes = 0;

  constructor(
    readonly ttlMs = 2000,
    readonly maxEntries = 10_000,
  ) {}

  async get(id: string, load: (id: string) => Promise<ReplRecord | undefined>): Promise<ReplRecord | undefined> {
    const now = Date.now();
    const hit = this.#entries.get(id);
    if (hit && hit.until > now) return hit.record;
    const changes = this.#changes;
    const record = await load(id);
    // A change while loading: what was read may predate it, so it is not kept.
    if (this.#changes === changes) {
      if (this.#entries.size >= this.maxEntries) this.#entries.clear();
      this.#entries.set(id, { record, until: now + this.ttlMs });
    }
    return record;
  }

  forget(id: string): void {
    this.#changes++;
    this.#entries.delete(id);
  }
}
