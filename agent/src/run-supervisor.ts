import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { RunSpec } from '@codeyard/common/agent/config';
import type { AppState } from '@codeyard/common/agent/protocol';
import { groupExists, groupHasMarker, signalGroup, terminateGroup } from '@codeyard/common/process-group';
import type { LogBuffer } from './log-buffer.js';
import { RestartPolicy } from './restart-policy.js';

/** Environment variable that marks every process of one run, so a later agent can tell them apart. */
const RUN_MARKER = 'CODEYARD_RUN_ID';

/**
 * The Run button's engine. The app runs as its own process group, started by the agent and
 * not by any browser connection, so it keeps going after every tab closes, until Stop. Stop
 * reaches the whole group (the shell, `npm`, and whatever `npm` started).
 */
export class RunSupervisor extends EventEmitter<{ state: [AppState] }> {
  #state: AppState & { runId?: string } = { running: false };
  #child?: ChildProcess;
  #installer?: ChildProcess;
  #exited?: Promise<void>;
  #stopping = false;
  readonly #spec: RunSpec;
  readonly #cwd: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #logs: LogBuffer;
  readonly #stateFile?: string;
  /** Restarts after crashes, for an always-on repl (off unless the portal or its file says so). */
  readonly #policy: RestartPolicy;
  #restartTimer?: NodeJS.Timeout;

  constructor(options: { spec: RunSpec; cwd: string; env: NodeJS.ProcessEnv; logs: LogBuffer; stateFile?: string; policyFile?: string }) {
    super();
    this.#policy = new RestartPolicy(options.policyFile);
    this.#spec = options.spec;
    this.#cwd = options.cwd;
    this.#env = options.env;
    this.#logs = options.logs;
    this.#stateFile = options.stateFile;
    this.#recoverOrphan();
  }

  get state(): AppState {
    const { runId: _runId, ...state } = this.#state;
    return state;
  }

  /** True when the stack has an install step whose result (`installCreates`) is missing. */
  get needsInstall(): boolean {
    return !!this.#spec.install && (!this.#spec.installCreates || !fs.existsSync(path.join(this.#cwd, this.#spec.installCreates)));
  }

  /**
   * Runs the install step on its own, in the background (after a restore, which does not bring
   * back regenerable folders such as node_modules), so the first Run does not wait for it.
   * Its output goes to the app log. Run, meanwhile, ends it and installs in the foreground.
   */
  installInBackground(): void {
    if (!this.needsInstall || this.#state.running || this.#installer) return;
    this.#logs.output('system', `\u001b[2m$ ${this.#spec.install}   (restoring dependencies after a restore)\u001b[0m\n`);
    const child = spawn('/bin/sh', ['-c', this.#spec.install!], { cwd: this.#cwd, env: this.#env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#installer = child;
    child.stdout!.setEncoding('utf8').on('data', (data: string) => this.#logs.output('stdout', data));
    child.stderr!.setEncoding('utf8').on('data', (data: string) => this.#logs.output('stderr', data));
    child.on('error', (err) => this.#logs.output('system', `could not install: ${err.message}\n`));
    child.on('close', (code, signal) => {
      if (this.#installer === child) this.#installer = undefined;
      this.#logs.output('system', `\u001b[2minstall ${signal ? `ended by ${signal}` : `exited with code ${code}`}\u001b[0m\n`);
    });
  }

  /** Whether a crashed app is started again (an always-on repl). */
  get keepRunning(): boolean {
    return this.#policy.keepRunning;
  }

  /** Sets the keep-running policy; turned off, a restart that is waiting is called off. */
  setPolicy(keepRunning: boolean): AppState {
    this.#policy.set(keepRunning);
    if (!keepRunning && this.#restartTimer) {
      this.#cancelRestart();
      this.#setState({ ...this.#state, restartAt: undefined });
    }
    return this.state;
  }

  /** The repl stops normally: its next start hears the policy from the portal again. */
  forgetPolicy(): void {
    this.#policy.forget();
  }

  /** Starts the app (Run); when it is already running, answers its state unchanged. */
  start(): AppState {
    if (this.#state.running) return this.state;
    this.#cancelRestart();
    this.#policy.reset();
    return this.#launch(0);
  }

  /**
   * Run again: stops the app when it runs (its whole group, as Stop does), then starts it, so
   * edited code runs in one step. Restarts overlapping each other end in one running app.
   */
  async restart(graceMs = 5000): Promise<AppState> {
    if (this.#state.running) this.#logs.output('system', '\u001b[2mrestarting\u001b[0m\n');
    await this.stop(graceMs);
    return this.start();
  }

  #cancelRestart(): void {
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
  }

  /** After an exit that was not Stop: the policy may start the app again, a little later. */
  #afterExit(code: number | null, signal: NodeJS.Signals | null, restarts: number): void {
    const decision = this.#policy.afterExit({ code, signal });
    if (decision.kind === 'give-up') {
      this.#logs.output('system', `\u001b[2m${decision.reason}\u001b[0m\n`);
      this.#setState({ ...this.#state, gaveUp: decision.reason });
    }
    if (decision.kind !== 'restart') return;
    this.#logs.output('system', `\u001b[2malways on: restarting in ${decision.delayMs / 1000} s\u001b[0m\n`);
    this.#setState({ ...this.#state, restartAt: new Date(Date.now() + decision.delayMs).toISOString() });
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#state.running) this.#launch(restarts + 1);
    }, decision.delayMs);
  }

  #launch(restarts: number): AppState {
    if (this.#installer?.pid) {
      // A half-done background install is redone in the foreground, as part of this Run.
      signalGroup(this.#installer.pid, 'SIGKILL');
      this.#installer = undefined;
    }
    const needsInstall = this.needsInstall;
    const script = needsInstall ? `{\n${this.#spec.install}\n} && {\n${this.#spec.run}\n}` : this.#spec.run;
    const shown = needsInstall ? `${this.#spec.install} && ${this.#spec.run}` : this.#spec.run;
    this.#logs.output('system', `\u001b[2m$ ${shown}\u001b[0m\n`);
    const runId = randomBytes(8).toString('hex');
    const env = { ...this.#env, [RUN_MARKER]: runId };
    const child = spawn('/bin/sh', ['-c', script], { cwd: this.#cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#stopping = false;
    child.stdout!.setEncoding('utf8').on('data', (data: string) => this.#logs.output('stdout', data));
    child.stderr!.setEncoding('utf8').on('data', (data: string) => this.#logs.output('stderr', data));
    this.#exited = new Promise((resolve) => {
      child.on('error', (err) => {
        this.#logs.output('system', `could not start: ${err.message}\n`);
      });
      child.on('close', (code, signal) => {
        // Whatever the shell left behind in the group is part of the app and ends with it.
        if (child.pid && groupExists(child.pid)) signalGroup(child.pid, 'SIGKILL');
        const stopped = this.#stopping;
        this.#setState({
          running: false,
          command: this.#state.command,
          startedAt: this.#state.startedAt,
          exitedAt: new Date().toISOString(),
          exitCode: code,
          signal,
          stopped,
          ...(restarts ? { restarts } : {}),
        });
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        this.#logs.output('system', `\u001b[2m${stopped ? 'stopped' : how}\u001b[0m\n`);
        this.#child = undefined;
        if (!stopped) this.#afterExit(code, signal, restarts);
        resolve();
      });
    });
    this.#setState({ running: true, pid: child.pid, command: shown, startedAt: new Date().toISOString(), runId, ...(restarts ? { restarts } : {}) });
    return this.state;
  }

  /** Stops the app: SIGTERM to its group, SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<AppState> {
    if (this.#restartTimer) {
      // Stop while a crashed app waits for its restart: it stays stopped.
      this.#cancelRestart();
      this.#setState({ ...this.#state, restartAt: undefined, stopped: true });
    }
    if (this.#installer?.pid) await terminateGroup(this.#installer.pid, graceMs);
    const child = this.#child;
    // This run's end: by the time its group is gone, a Restart pressed meanwhile may have started the next.
    const exited = this.#exited;
    if (!child?.pid) return this.state;
    this.#stopping = true;
    await terminateGroup(child.pid, graceMs);
    await exited;
    return this.state;
  }

  #setState(state: AppState & { runId?: string }): void {
    this.#state = state;
    if (this.#stateFile) {
      try {
        fs.writeFileSync(this.#stateFile, JSON.stringify(state));
      } catch {
        // the state file only helps recovery; the app keeps running without it
      }
    }
    this.emit('state', this.state);
  }

  /**
   * An agent that died (kill -9) leaves its app's group behind with nobody reading its output.
   * The new agent ends that group, so Run never has two copies of the app fighting for a port,
   * and keeps the last known state for the status line.
   */
  #recoverOrphan(): void {
    if (!this.#stateFile) return;
    let previous: (AppState & { runId?: string }) | undefined;
    try {
      previous = JSON.parse(fs.readFileSync(this.#stateFile, 'utf8')) as AppState & { runId?: string };
    } catch {
      return;
    }
    if (previous.running && previous.pid && previous.runId && groupHasMarker(previous.pid, `${RUN_MARKER}=${previous.runId}`)) {
      signalGroup(previous.pid, 'SIGKILL');
    }
    this.#state = previous.running ? { ...previous, running: false, pid: undefined, runId: undefined, exitedAt: new Date().toISOString(), exitCode: null, signal: 'SIGKILL' } : previous;
  }
}
