import fs from 'node:fs';

/** Waits before each restart of a crashed app, longer each time within the window (then the last one). */
export const RESTART_DELAYS_MS = [500, 2000, 5000, 15_000, 30_000] as const;
/** An app that crashes more often than this within {@link CRASH_WINDOW_MS} is left stopped. */
export const MAX_RESTARTS = 5;
export const CRASH_WINDOW_MS = 5 * 60_000;

/** What to do after the app exited abnormally. */
export type RestartDecision = { kind: 'restart'; delayMs: number } | { kind: 'give-up'; reason: string } | { kind: 'none' };

/**
 * The keep-running policy of an always-on repl's app: after an abnormal exit (a non-zero code or
 * a signal, not Stop) it is started again after a delay that grows with each crash in the last
 * five minutes, and at most {@link MAX_RESTARTS} times in that window: an app that cannot start
 * (a syntax error, a port taken) must not loop forever, burning the repl's CPU quota and filling
 * its log. An exit with code 0 is the app's own choice and is left alone.
 *
 * The policy is kept in a file of the agent's state folder: an agent the runtime restarts after
 * its sandbox died reads it back and starts the app by itself (the portal sees no new start then).
 */
export class RestartPolicy {
  #keepRunning = false;
  #crashes: number[] = [];
  readonly #file?: string;

  constructor(file?: string) {
    this.#file = file;
    if (!file) return;
    try {
      this.#keepRunning = (JSON.parse(fs.readFileSync(file, 'utf8')) as { keepRunning?: unknown }).keepRunning === true;
    } catch {
      // no file (the usual case), or one the repl's own processes mangled: not kept running
    }
  }

  get keepRunning(): boolean {
    return this.#keepRunning;
  }

  set(keepRunning: boolean): void {
    this.#keepRunning = keepRunning;
    this.#crashes = [];
    if (!this.#file) return;
    try {
      if (keepRunning) fs.writeFileSync(this.#file, JSON.stringify({ keepRunning }));
      else fs.rmSync(this.#file, { force: true });
    } catch {
      // only a restarted agent needs the file; the policy holds in memory meanwhile
    }
  }

  /** A normal stop of the repl: the next start hears the policy from the portal again. */
  forget(): void {
    if (this.#file) fs.rmSync(this.#file, { force: true });
  }

  /** A Run or Stop pressed: the crash count starts over. */
  reset(): void {
    this.#crashes = [];
  }

  /** After the app exited (not by Stop): restart it, give up, or nothing. */
  afterExit(exit: { code: number | null; signal: string | null }, now = Date.now()): RestartDecision {
    if (!this.#keepRunning || (exit.code === 0 && !exit.signal)) return { kind: 'none' };
    this.#crashes = this.#crashes.filter((t) => now - t < CRASH_WINDOW_MS);
    if (this.#crashes.length >= MAX_RESTARTS) {
      return { kind: 'give-up', reason: `the app crashed ${MAX_RESTARTS + 1} times in ${CRASH_WINDOW_MS / 60_000} minutes; it is left stopped until Run is pressed` };
    }
    this.#crashes.push(now);
    return { kind: 'restart', delayMs: RESTART_DELAYS_MS[Math.min(this.#crashes.length, RESTART_DELAYS_MS.length) - 1]! };
  }
}
