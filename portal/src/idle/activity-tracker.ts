import { describeError } from '@codeyard/common/errors';
import type { ActivitySink } from '@codeyard/proxy/repl-proxy';
import type { ActivityRepository } from '../db/activity-repository.js';

export interface ActivityTrackerOptions {
  repository: Pick<ActivityRepository, 'record'>;
  /** How often this portal writes what it saw (at most once per repl per interval). */
  flushMs: number;
  /** Local entries older than this (and written) are dropped, so the map stays the size of what is in use. */
  forgetAfterMs: number;
  log: { error(obj: object, msg: string): void };
}

/**
 * What this portal saw happen on each repl: proxied IDE, preview and app traffic, API calls,
 * exec. Recording is a clock read and two map operations in memory, because the proxy calls it
 * per request (it adds ~22 µs in all); connections that stay open (an IDE's WebSocket, an app's
 * log stream) are held, and count as activity for as long as they are open.
 *
 * Several portals may share the database: each writes what it saw to it in batches, one
 * statement per flush, at most once per `flushMs` per repl; except that the first activity on a
 * repl this portal has not written for `flushMs` is written at once, so another portal reading
 * the database is never more than `flushMs` behind (see IdleSweeper's margin).
 */
export class ActivityTracker implements ActivitySink {
  readonly #o: ActivityTrackerOptions;
  /** Last activity seen here, per repl (ms since the epoch). */
  readonly #seen = new Map<string, number>();
  /** Connections open now, per repl. */
  readonly #open = new Map<string, number>();
  /** When this portal last wrote each repl's activity. */
  readonly #written = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #soon: NodeJS.Immediate | undefined;
  #running: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  #closed = false;

  constructor(options: ActivityTrackerOptions) {
    this.#o = options;
    this.#timer = setInterval(() => void this.flush(), options.flushMs);
    this.#timer.unref();
  }

  touch(replId: string): void {
    const now = Date.now();
    this.#seen.set(replId, now);
    const written = this.#written.get(replId);
    if (written === undefined || now - written >= this.#o.flushMs) this.#flushSoon();
  }

  /** A connection opened on the repl: active until the returned release is called (safe to call twice). */
  hold(replId: string): () => void {
    this.#open.set(replId, (this.#open.get(replId) ?? 0) + 1);
    this.touch(replId);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(replId) ?? 1) - 1;
      if (left > 0) this.#open.set(replId, left);
      else this.#open.delete(replId);
      this.touch(replId);
    };
  }

  /** The last activity this portal saw on the repl (now while a connection is open); undefined: none. */
  lastActive(replId: string, now = Date.now()): number | undefined {
    return this.#open.has(replId) ? now : this.#seen.get(replId);
  }

  /** Connections open now on the repl (for tests and the log). */
  openConnections(replId: string): number {
    return this.#open.get(replId) ?? 0;
  }

  #flushSoon(): void {
    if (this.#soon || this.#closed) return;
    this.#soon = setImmediate(() => {
      this.#soon = undefined;
      void this.flush();
    });
  }

  /** Writes what changed since the last write; one write at a time, at most one more queued behind it. */
  flush(): Promise<void> {
    if (this.#queued) return this.#queued;
    const run = this.#running.then(() => {
      this.#queued = undefined;
      return this.#write();
    });
    this.#queued = run;
    this.#running = run.catch(() => undefined);
    return run;
  }

  async #write(): Promise<void> {
    const now = Date.now();
    const entries: Array<[string, number]> = [];
    for (const [id, seen] of this.#seen) {
      const at = this.#open.has(id) ? now : seen;
      const written = this.#written.get(id);
      if (written === undefined || at > written) entries.push([id, at]);
      else if (now - seen > this.#o.forgetAfterMs) {
        this.#seen.delete(id);
        this.#written.delete(id);
      }
    }
    if (entries.length === 0) return;
    for (const [id] of entries) this.#written.set(id, now);
    try {
      await this.#o.repository.record(entries);
    } catch (err) {
      // Written again at the next flush; meanwhile the sweeper still sees this portal's own activity.
      for (const [id] of entries) this.#written.delete(id);
      this.#o.log.error({ err: describeError(err), repls: entries.length }, 'could not record repl activity in the database');
    }
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#soon) clearImmediate(this.#soon);
    await this.flush();
  }
}
