import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { groupExists, signalGroup, terminateGroup } from '@codeyard/common/process-group';

export interface IdeState {
  running: boolean;
  pid?: number;
  /** Restarts after crashes in the current window. */
  restarts: number;
  /** Set when it crashed too often and is no longer restarted. */
  gaveUp?: string;
}

const MAX_RESTARTS = 5;
const WINDOW_MS = 5 * 60_000;

/**
 * Keeps code-server running next to the agent, in the same sandbox, so the IDE's terminals share
 * the repl's processes, network and limits with the app: a server started in a terminal is
 * reachable at the preview URL like one started with Run. A crash is followed by a restart after
 * a short, growing pause; the files are on disk and untouched either way.
 */
export class IdeSupervisor {
  #pid?: number;
  #stopping = false;
  #restarts: number[] = [];
  #gaveUp?: string;
  #timer?: NodeJS.Timeout;

  constructor(
    private readonly argv: string[],
    private readonly options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; onLog?: (line: string) => void },
  ) {}

  get state(): IdeState {
    return { running: this.#pid !== undefined, pid: this.#pid, restarts: this.#restarts.length, ...(this.#gaveUp ? { gaveUp: this.#gaveUp } : {}) };
  }

  start(): void {
    this.#stopping = false;
    try {
      this.#spawn();
    } catch (err) {
      // EAGAIN, EMFILE: the repl is at its process or file limit (a fork bomb, say). Try again later.
      this.options.onLog?.(`code-server could not start (${(err as Error).message}); retrying`);
      this.#scheduleRestart();
    }
  }

  #spawn(): void {
    const out = fs.openSync(this.options.logFile, 'a', 0o600);
    try {
      const child = spawn(this.argv[0]!, this.argv.slice(1), { cwd: this.options.cwd, env: this.options.env, detached: true, stdio: ['ignore', out, out] });
      this.#pid = child.pid;
      child.on('error', (err) => this.options.onLog?.(`code-server could not start: ${err.message}`));
      child.on('exit', (code, signal) => {
        // code-server runs a child server: whatever is left of its group goes with it.
        if (child.pid && groupExists(child.pid)) signalGroup(child.pid, 'SIGKILL');
        this.#pid = undefined;
        if (this.#stopping) return;
        this.options.onLog?.(`code-server exited (${signal ?? code}); restarting`);
        this.#scheduleRestart();
      });
    } finally {
      fs.closeSync(out);
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    if (this.#pid) await terminateGroup(this.#pid, 3000);
  }

  #scheduleRestart(): void {
    const now = Date.now();
    this.#restarts = this.#restarts.filter((t) => now - t < WINDOW_MS);
    if (this.#restarts.length >= MAX_RESTARTS) {
      this.#gaveUp = `code-server crashed ${MAX_RESTARTS} times in ${WINDOW_MS / 60_000} minutes; see its log`;
      this.options.onLog?.(this.#gaveUp);
      return;
    }
    this.#restarts.push(now);
    const delay = Math.min(5000, 250 * 2 ** (this.#restarts.length - 1));
    this.#timer = setTimeout(() => this.start(), delay);
  }
}
