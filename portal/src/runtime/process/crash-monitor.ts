import { describeError } from '@codeyard/common/errors';
import type { ReplId } from '@codeyard/common/repl-id';
import { processExists } from '@codeyard/common/process-group';
import type { Logger } from './options.js';
import type { ProcessSandbox } from './sandbox-spawn.js';

/** A sandbox that dies this often is left in the error state instead of being restarted. */
export const MAX_SANDBOX_RESTARTS = 3;
export const RESTART_WINDOW_MS = 5 * 60_000;
const CHECK_INTERVAL_MS = 2000;

/** What the monitor needs from the runtime. */
export interface CrashWatch {
  /** The running repls' sandboxes. */
  running(): Array<[ReplId, ProcessSandbox]>;
  /** Is `sandbox` still repl `id`'s, running, with nothing else going on for it? */
  current(id: ReplId, sandbox: ProcessSandbox): boolean;
  /** Is a start, stop or delete of `id` queued or under way? */
  busy(id: ReplId): boolean;
  /** Runs `task` in `id`'s queue (after what is under way). */
  serial(id: ReplId, task: () => Promise<void>): Promise<void>;
  /** Starts repl `id`'s sandbox again (it says `starting`, then `running` once its agent answers). */
  restart(id: ReplId, sandbox: ProcessSandbox): Promise<void>;
  /** Gives up on the repl: it is left in the error state with `message`. */
  fail(id: ReplId, message: string): void;
  log: Logger;
}

/**
 * Restarts the sandbox of a running repl when it died (its agent crashed or was killed); the
 * files are on disk and untouched. code-server crashes are the agent's to handle, inside. Checks
 * every two seconds, and at once when the runtime sees a sandbox process exit (check()).
 */
export class CrashMonitor {
  readonly #watch: CrashWatch;
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(watch: CrashWatch) {
    this.#watch = watch;
    this.#timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  async check(): Promise<void> {
    if (this.#closed) return;
    const watch = this.#watch;
    for (const [id, sandbox] of watch.running()) {
      if (watch.busy(id)) continue;
      await watch
        .serial(id, async () => {
          if (!watch.current(id, sandbox) || processExists(sandbox.agentPid)) return;
          const now = Date.now();
          sandbox.restarts = sandbox.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
          if (sandbox.restarts.length >= MAX_SANDBOX_RESTARTS) {
            watch.fail(id, `the repl's sandbox ended ${MAX_SANDBOX_RESTARTS} times in ${RESTART_WINDOW_MS / 60_000} minutes; see ${sandbox.dirs.state}/agent.log. Stop and start the repl to try again; your files are kept.`);
            return;
          }
          sandbox.restarts.push(now);
          watch.log.warn({ replId: id }, 'repl sandbox ended; restarting it');
          await watch.restart(id, sandbox);
        })
        .catch((err: unknown) => watch.log.error({ replId: id, err: describeError(err) }, 'process check failed'));
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }
}
