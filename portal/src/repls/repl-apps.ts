import { AgentClient } from '@codeyard/common/agent/client';
import type { AppState, ExecRequest, ExecResult, Target } from '@codeyard/common/agent/protocol';
import { AppError } from '@codeyard/common/errors';
import type { Runtime } from '../runtime/runtime.js';
import type { ReplRecord } from './repl-record.js';
import { appState } from './repl-view.js';

export interface ReplAppsDeps {
  runtime: Runtime;
  /** Largest file an agent client reads or writes. */
  fileBytes: number;
  /** The owner's record; another account's repl is a 404 (see ReplService.get). */
  get(owner: string, id: string): Promise<ReplRecord>;
  /** Starts a stopped repl within its account's limits and the machine's room; `afterQueued` runs once a start that had to wait in line is done. */
  startRepl(owner: string, record: ReplRecord, afterQueued?: () => Promise<unknown>): Promise<void>;
  /** Tells the live status streams that the repl changed. */
  announce(id: string): void;
  /** Awaited before the app or a command runs in a running repl: its secrets reached its agent (a start's push under way is waited for). */
  ready?: (id: string) => Promise<void>;
}

/**
 * What runs in a repl, for its owner: the app (Run, Restart, Stop app), commands (exec) and the
 * app's log stream, all through the repl's agent. Reached as `ReplService.apps`; ownership is
 * checked on every call as for the rest of the service.
 */
export class ReplApps {
  readonly #d: ReplAppsDeps;

  constructor(deps: ReplAppsDeps) {
    this.#d = deps;
  }

  /** The running repl's agent; NOT_RUNNING (saying how to start it) otherwise. */
  agent(id: string): AgentClient {
    const endpoints = this.#d.runtime.endpoints(id);
    if (!endpoints) throw new AppError('NOT_RUNNING', `repl ${id} is ${this.#d.runtime.status(id).state}; start it first (POST /api/repls/${id}/start)`);
    return new AgentClient(endpoints.agent, { maxFileBytes: this.#d.fileBytes });
  }

  async state(owner: string, id: string): Promise<AppState> {
    await this.#d.get(owner, id);
    return appState(id, this.#d.runtime, (replId) => this.agent(replId));
  }

  /**
   * Run: starts the repl first when it is stopped, like Replit's Run button. With `restart`, an
   * app already running is stopped and started again (Restart, or Run pressed while it runs).
   */
  async start(owner: string, id: string, options: { restart?: boolean } = {}): Promise<AppState> {
    const record = await this.#d.get(owner, id);
    if (!this.#d.runtime.endpoints(id)) await this.#d.startRepl(owner, record, () => this.agent(id).startApp());
    await this.#d.ready?.(id);
    return this.#announced(id, await (options.restart ? this.agent(id).restartApp() : this.agent(id).startApp()));
  }

  async stop(owner: string, id: string): Promise<AppState> {
    await this.#d.get(owner, id);
    if (!this.#d.runtime.endpoints(id)) return { running: false };
    return this.#announced(id, await this.agent(id).stopApp());
  }

  /** Run and Stop through the API reach the event stream (Run in VS Code goes to the agent alone: clients poll /app for it). */
  #announced(id: string, app: AppState): AppState {
    this.#d.announce(id);
    return app;
  }

  async exec(owner: string, id: string, request: ExecRequest): Promise<ExecResult> {
    await this.#d.get(owner, id);
    if (this.#d.runtime.endpoints(id)) await this.#d.ready?.(id);
    return this.#d.runtime.exec(id, request);
  }

  /** Where the agent of a running repl the owner may stream logs from answers. */
  async logsTarget(owner: string, id: string): Promise<Target> {
    await this.#d.get(owner, id);
    return this.agent(id).target;
  }
}
