import type { AppState } from '@codeyard/common/api/models';
import type { Scheduler } from './reconnector.js';

/** How often an open repl window reads its app's state (the Codeyard bar in the browser does the same). */
export const APP_POLL_MS = 2_000;

/** Whether two readings differ in what the toolbar, the title or a crash notice shows. */
export function appChanged(a: AppState | undefined, b: AppState): boolean {
  if (!a) return true;
  return a.running !== b.running || a.startedAt !== b.startedAt || a.exitedAt !== b.exitedAt || a.exitCode !== b.exitCode || a.signal !== b.signal || a.stopped !== b.stopped || a.command !== b.command;
}

/**
 * The app state of the repls whose window is open, read every two seconds. The portal's event
 * stream tells repl status changes and Run or Stop pressed through its API, but Run pressed in
 * VS Code goes to the repl's agent alone; this reading is what keeps the toolbar in step with it.
 * One read in flight per repl, none while the server is offline, none after unwatch.
 */
export class AppWatch {
  readonly #watched = new Map<string, { timer: unknown; last?: AppState; reading: boolean }>();
  #paused = false;

  constructor(
    private readonly options: {
      scheduler: Scheduler;
      read(key: string): Promise<AppState>;
      onChange(key: string, app: AppState): void;
      intervalMs?: number;
    },
  ) {}

  /** Starts reading for `key` (a repl of a server); answers the function that stops it. */
  watch(key: string, known?: AppState): () => void {
    if (!this.#watched.has(key)) {
      this.#watched.set(key, { timer: undefined, last: known, reading: false });
      this.#schedule(key);
    }
    return () => {
      const entry = this.#watched.get(key);
      if (entry) this.options.scheduler.clearTimeout(entry.timer);
      this.#watched.delete(key);
    };
  }

  /** A reading that came another way (the event stream, our own Run): no notice for it twice. */
  seen(key: string, app: AppState): void {
    const entry = this.#watched.get(key);
    if (entry) entry.last = app;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const key of this.#watched.keys()) this.#schedule(key);
  }

  #schedule(key: string): void {
    const entry = this.#watched.get(key);
    if (!entry || this.#paused) return;
    this.options.scheduler.clearTimeout(entry.timer);
    entry.timer = this.options.scheduler.setTimeout(() => void this.#read(key), this.options.intervalMs ?? APP_POLL_MS);
  }

  async #read(key: string): Promise<void> {
    const entry = this.#watched.get(key);
    if (!entry || entry.reading || this.#paused) return;
    entry.reading = true;
    try {
      const app = await this.options.read(key);
      if (this.#watched.get(key) !== entry) return;
      if (appChanged(entry.last, app)) {
        entry.last = app;
        this.options.onChange(key, app);
      }
    } catch {
      // The next reading tries again; a server that is down shows through the connection.
    } finally {
      entry.reading = false;
      this.#schedule(key);
    }
  }

  close(): void {
    for (const entry of this.#watched.values()) this.options.scheduler.clearTimeout(entry.timer);
    this.#watched.clear();
  }
}
