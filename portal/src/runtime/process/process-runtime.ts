import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { isReplId, type ReplId } from '@codeyard/common/repl-id';
import type { ExecRequest, ExecResult } from '@codeyard/common/agent/protocol';
import { KeyedQueue } from '@codeyard/common/concurrency';
import { AppError, describeError } from '@codeyard/common/errors';
import { processExists } from '@codeyard/common/process-group';
import type { StackManifest } from '../../templates/manifest.js';
import { AgentClient } from '@codeyard/common/agent/client';
import type { Endpoints, ReplSpec, Runtime, RuntimeDescription, RuntimeStatus, StackAvailability } from '../runtime.js';
import { PooledRuntime } from '../pooled-runtime.js';
import { WarmPool } from '../warm-pool.js';
import type { SandboxReading } from '../usage.js';
import { readCgroupUsage } from './cgroup-usage.js';
import { CrashMonitor } from './crash-monitor.js';
import { type EgressService, serveEgress } from './egress-proxy.js';
import { HostCapabilities } from './host-capabilities.js';
import { dropLocal, saveOffline, uncovered } from './offline-save.js';
import type { ProcessRuntimeOptions } from './options.js';
import { adoptLeft, endLeftWarm } from './recovery.js';
import { bindWarmFolders, prepareRoot, releasePrivate, removeReplFolders, replDirs, type ReplDirs, sharedDir, warmDirs, warmRoot } from './repl-folders.js';
import { FLUSH_TIMEOUT_MS, newSandboxId, SandboxLauncher } from './sandbox-launch.js';
import { ideUserDataDir, type ProcessSandbox, SandboxSpawner } from './sandbox-spawn.js';
import { StackChecks } from './stack-checks.js';
import { UidAllocator } from './uid-allocator.js';

export { sandboxOptionsFrom, type Logger, type ProcessRuntimeOptions, type SandboxOptions } from './options.js';

/**
 * The default runtime: each repl is a set of local processes (code-server and the repl agent,
 * which runs the app), reached over unix sockets the portal binds in a root-only folder of the
 * repl (host-sockets.ts), so there is no TCP port per repl and no port conflict between repls.
 * Processes are detached with their output in files, so they outlive a portal crash and are
 * adopted by the next portal. The sandbox (bubblewrap, own network namespace, limits) wraps
 * these same processes. This class keeps the repls' states and orders their starts and stops;
 * the launch, the host's capabilities, uids, the crash monitor, the warm pool and offline saves
 * are modules of their own beside it.
 */
export class ProcessRuntime extends PooledRuntime<ProcessSandbox> implements Runtime {
  readonly name = 'process';
  readonly #opts: ProcessRuntimeOptions;
  /** Running repls' sandboxes. */
  readonly #live = new Map<ReplId, ProcessSandbox>();
  /** The last spec each repl was started with: a failed save is retried with it. */
  readonly #specs = new Map<ReplId, ReplSpec>();
  readonly #queues = new KeyedQueue();
  /** Starts in progress, so a stop, delete or shutdown can cut them short. */
  readonly #starting = new Map<ReplId, AbortController>();
  /** Repls whose start was cut short during the restore: their local copy is a partial one. */
  readonly #partialRestores = new Set<ReplId>();
  readonly #caps: HostCapabilities;
  readonly #uids: UidAllocator;
  readonly #spawner: SandboxSpawner;
  readonly #launcher: SandboxLauncher;
  readonly #checks: StackChecks;
  readonly #monitor: CrashMonitor;
  protected override readonly pool: WarmPool<ProcessSandbox>;
  /** The egress proxy every `internet` repl goes out through, on a unix socket. */
  readonly #egress?: EgressService;
  #closed = false;

  constructor(options: ProcessRuntimeOptions) {
    super();
    this.#opts = options;
    const bubblewrap = options.sandbox.mode === 'bubblewrap';
    this.#caps = new HostCapabilities({ rootDir: options.rootDir, sandbox: options.sandbox, log: options.log, agentBundle: bubblewrap ? options.agentBundle : undefined });
    prepareRoot(options.rootDir, this.#caps.switchesUid);
    this.#uids = new UidAllocator(options.sandbox.uidBase, [options.rootDir, warmRoot(options.rootDir)]);
    // Its socket goes into the shared folder, which the volume probe mounts first.
    if (bubblewrap && options.sandbox.network === 'internet') this.#egress = serveEgress(`${sharedDir(options.rootDir)}/egress`, () => this.#caps.probeVolumes(), options.log);
    this.#spawner = new SandboxSpawner(options, this.#egress, () => void this.#monitor.check());
    this.#checks = new StackChecks(options, this.#caps, this.#spawner);
    this.#launcher = new SandboxLauncher({ opts: options, caps: this.#caps, uids: this.#uids, spawner: this.#spawner, egress: this.#egress, sandboxProblem: () => this.#checks.sandboxProblem() });
    this.#checks.use(this.#launcher);
    this.pool = new WarmPool<ProcessSandbox>({
      launch: (manifest) => {
        const sandboxId = newSandboxId();
        return this.#launcher.launch({ kind: 'warm', sandboxId, manifest, dirs: warmDirs(options.rootDir, sandboxId) });
      },
      discard: (sandbox) => this.#launcher.discard(sandbox),
      alive: (sandbox) => processExists(sandbox.agentPid),
      canLaunch: async () => !!(await options.provisioner.installed()),
      log: options.log,
    });
    this.#monitor = new CrashMonitor({
      running: () => [...this.#live].filter(([id]) => this.status(id).state === 'running'),
      current: (id, sandbox) => this.#live.get(id) === sandbox && this.status(id).state === 'running',
      busy: (id) => this.#queues.has(id),
      serial: (id, task) => this.#serial(id, task),
      // Watchers see a restart as a start: pooled connections to the old sockets are dropped,
      // and the new agent, which holds nothing in memory, gets the repl's secrets again.
      restart: async (id, sandbox) => {
        this.#setStatus(id, { state: 'starting', step: 'starting again: its sandbox ended' });
        // Running again either way: one that did not come up is the monitor's to restart again
        // (or to give up on after MAX_SANDBOX_RESTARTS), as a sandbox that ended.
        await this.#launcher.respawn(sandbox).catch((err: unknown) => options.log.warn({ replId: id, err: describeError(err) }, 'repl sandbox started again but did not answer'));
        this.#setStatus(id, { state: 'running' });
      },
      fail: (id, error) => this.#setStatus(id, { state: 'error', error }),
      log: options.log,
    });
  }

  // ---- Runtime interface ----

  /** What this runtime enforces here, as it really is (see host-capabilities.ts). */
  describe(): RuntimeDescription {
    return this.#caps.describe(this.name);
  }

  /** Runs the one-time host checks, so that describe() reports what really works here. */
  async prepare(): Promise<void> {
    await Promise.all([this.sandboxProblem(), this.#caps.probeVolumes()]);
  }

  /** Undefined when a sandbox can be made here; else why not and what to do. Checked once. */
  sandboxProblem(): Promise<string | undefined> {
    return this.#checks.sandboxProblem();
  }

  checkStack(manifest: StackManifest): Promise<StackAvailability> {
    return this.#checks.checkStack(manifest);
  }

  async create(spec: ReplSpec): Promise<void> {
    // Nothing to prepare ahead: the folder is made at start, from the store.
    this.#dirs(spec.id);
  }

  start(spec: ReplSpec): Promise<void> {
    return this.#serial(spec.id, async () => {
      const abort = new AbortController();
      this.#starting.set(spec.id, abort);
      try {
        await this.#start(spec, abort.signal);
      } finally {
        if (this.#starting.get(spec.id) === abort) this.#starting.delete(spec.id);
      }
    });
  }

  stop(id: ReplId): Promise<void> {
    // A start still waiting (a restore that cannot finish, a slow store) gives way at once.
    this.#starting.get(id)?.abort();
    return this.#serial(id, () => this.#stop(id, true));
  }

  delete(id: ReplId): Promise<void> {
    this.#starting.get(id)?.abort();
    return this.#serial(id, async () => {
      // A repl given a warm sandbox and deleted before it ever started: that sandbox ends too.
      await this.pool.releaseFor(id);
      await this.#stop(id, false);
      await removeReplFolders(this.#dirs(id));
      this.states.forget(id);
      this.#specs.delete(id);
    });
  }

  async exec(id: ReplId, request: ExecRequest): Promise<ExecResult> {
    const endpoints = this.endpoints(id);
    if (!endpoints) throw new AppError('NOT_RUNNING', 'the repl is not running; start it first');
    return new AgentClient(endpoints.agent).exec(request);
  }

  endpoints(id: ReplId): Endpoints | undefined {
    const live = this.#live.get(id);
    if (!live || this.status(id).state !== 'running') return undefined;
    const { dirs } = live;
    const ideStatic = this.#spawner.ideStatic;
    return {
      ide: { kind: 'unix', socketPath: dirs.ideSocket },
      agent: { kind: 'unix', socketPath: dirs.agentSocket },
      port: (port) => ({ kind: 'tunnel', socketPath: dirs.tunnelSocket, port }),
      ideStatic,
      idePage: ideStatic && { install: ideStatic, userDataPath: ideUserDataDir(this.#spawner.view(dirs)) },
    };
  }

  workspacePath(id: ReplId): string {
    return this.#spawner.view(this.#dirs(id)).workspace;
  }

  /**
   * Adopts the repls an earlier portal left running and whole; ends the rest with their files
   * saved (or kept, reported unsaved). Warm sandboxes it left belong to nobody: they are ended.
   */
  async recover(specFor: (id: ReplId) => Promise<ReplSpec | undefined>): Promise<{ adopted: ReplId[]; saved: ReplId[] }> {
    await endLeftWarm(this.#opts.rootDir, this.#caps.cgroups);
    const adopted: ReplId[] = [];
    const saved: ReplId[] = [];
    const ids = (await fsp.readdir(this.#opts.rootDir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory() && isReplId(d.name)).map((d) => d.name);
    for (const id of ids) {
      await this.#serial(id, async () => {
        const dirs = this.#dirs(id);
        const spec = await specFor(id);
        const sandbox = await adoptLeft(id, dirs, spec, { caps: this.#caps, launcher: this.#launcher, spawner: this.#spawner });
        if (sandbox && spec) {
          this.#live.set(id, sandbox);
          this.#specs.set(id, spec);
          this.#setStatus(id, { state: 'running' });
          adopted.push(id);
          return;
        }
        if (!spec) {
          // The repl was deleted while its processes ran: nothing to keep.
          await removeReplFolders(dirs);
          return;
        }
        this.#specs.set(id, spec);
        if (fs.existsSync(dirs.workspace)) {
          try {
            await saveOffline(this.#launcher, this.#opts.workspaces, spec, dirs, this.#opts.log);
            saved.push(id);
          } catch (err) {
            this.#setStatus(id, { state: 'error', error: `could not save the files found after a restart (${describeError(err)}); they are kept on disk and saved at the next stop`, unsaved: true });
          }
        }
      });
    }
    return { adopted, saved };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const abort of this.#starting.values()) abort.abort();
    this.#monitor.close();
    await this.pool.close();
    await Promise.all([...this.#live.keys()].map((id) => this.stop(id).catch((err: unknown) => this.#opts.log.error({ replId: id, err: describeError(err) }, 'stop at shutdown failed'))));
    this.#egress?.server.close();
    this.#egress?.server.closeAllConnections();
  }

  // ---- warm pool ----

  /**
   * A warm sandbox is a cold start's equal only for a repl with no folder here: one that ran
   * keeps its home, VS Code's user data and the agent's state on its private volume, which a
   * warm sandbox (its own fresh private volume) does not have. So a class copy nobody opened
   * yet, or a repl never started on this machine, may take one; a repl that ran starts cold.
   */
  warmFits(spec: ReplSpec): boolean {
    return !fs.existsSync(this.#dirs(spec.id).base);
  }

  /**
   * Keeps `size` sandboxes of each stack started ahead (agent and code-server up, on an empty
   * workspace volume), so a repl's first start here is only a restore (policy: warm-pool.ts).
   */
  warmPool(stacks: readonly StackManifest[], size: number, options: { maxLoad?: number } = {}): void {
    // Unsandboxed, a sandbox's processes see the host's paths: a warm one could not move into its repl's folder.
    if (this.#opts.sandbox.mode === 'off') return;
    this.pool.configure(stacks, size, options);
  }

  // ---- usage (PooledRuntime.usage() reads each sandbox's cgroups through these) ----

  protected readRepl(id: ReplId): SandboxReading | undefined {
    const sandbox = this.#live.get(id);
    return sandbox && readCgroupUsage(this.#caps.cgroups, sandbox.id);
  }

  protected readSandbox(sandbox: ProcessSandbox): SandboxReading | undefined {
    return readCgroupUsage(this.#caps.cgroups, sandbox.id);
  }

  protected stackOf(sandbox: ProcessSandbox): string {
    return sandbox.manifest.id;
  }

  // ---- internals ----

  #dirs(id: ReplId): ReplDirs {
    return replDirs(this.#opts.rootDir, id);
  }

  #setStatus(id: ReplId, status: Omit<RuntimeStatus, 'since'>): void {
    this.states.set(id, status);
  }

  /** Runs start/stop/delete of one repl one at a time, in call order. */
  #serial<T>(id: ReplId, task: () => Promise<T>): Promise<T> {
    return this.#queues.run(id, task);
  }

  async #start(spec: ReplSpec, signal: AbortSignal): Promise<void> {
    if (this.#closed) throw new AppError('UNAVAILABLE', 'Codeyard is shutting down');
    if (this.#live.has(spec.id) && this.status(spec.id).state === 'running') return;
    this.#specs.set(spec.id, spec);
    const warm = this.pool.claim(spec.id);
    if (warm) {
      // A warm volume is sized for the quota alone: a workspace of many small files may need more.
      const fits = !fs.existsSync(this.#dirs(spec.id).base) && (await this.#launcher.holds(warm.dirs.workspace, await this.#launcher.volumeNeeds(spec.manifest, spec)));
      // A repl with a lower memory limit of its own lowers the warm sandbox's, or starts cold.
      if (fits && this.#launcher.fitWarm(warm, spec)) return this.#activateWarm(spec, warm, signal);
      await this.#launcher.discard(warm);
    }
    const step = (text: string): void => this.#setStatus(spec.id, { state: 'starting', step: text });
    let sandbox: ProcessSandbox | undefined;
    try {
      sandbox = await this.#launcher.launch({ kind: 'repl', sandboxId: newSandboxId(), spec, dirs: this.#dirs(spec.id), step, signal, restoring: () => this.#partialRestores.add(spec.id) });
      this.#partialRestores.delete(spec.id);
      this.#live.set(spec.id, sandbox);
      this.#setStatus(spec.id, { state: 'running' });
    } catch (err) {
      if (sandbox) await this.#launcher.end(sandbox, 2000);
      throw this.#startFailed(spec.id, err, 'repl start failed');
    }
  }

  /** Turns a warm sandbox into the repl `spec`: its folder becomes the repl's, its agent restores the files. */
  async #activateWarm(spec: ReplSpec, sandbox: ProcessSandbox, signal: AbortSignal): Promise<void> {
    this.#setStatus(spec.id, { state: 'starting', step: 'restoring files' });
    try {
      // Under the uid lock: an allocation scanning the folders meanwhile would miss this one's uid.
      sandbox.dirs = await this.#uids.exclusive(() => bindWarmFolders(sandbox.dirs, this.#opts.rootDir, spec.id));
      // Its pids.json came along: the sandbox is the same.
      await this.#launcher.activate(sandbox, spec, signal);
      this.#live.set(spec.id, sandbox);
      this.#setStatus(spec.id, { state: 'running' });
    } catch (err) {
      await this.#launcher.discard(sandbox);
      throw this.#startFailed(spec.id, err, 'warm sandbox activation failed');
    }
  }

  /** Records a failed start (the repl shows it) and answers the error to throw. */
  #startFailed(id: ReplId, err: unknown, what: string): AppError {
    const message = describeError(err);
    this.#opts.log.error({ replId: id, err: message }, what);
    this.#setStatus(id, { state: 'error', error: `could not start: ${message}` });
    return err instanceof AppError ? err : new AppError('UNAVAILABLE', `the repl could not start: ${message}`);
  }

  /**
   * Stops a repl. With `save`, the order is what keeps files (the security review lost writes
   * here): first every process of the repl ends (app, commands, VS Code, terminals, anything
   * they left), then the quiet workspace is saved, then the sandbox ends, then the host checks
   * that the stored manifest covers every file on disk. Only then is the local copy dropped;
   * otherwise one more save runs with nothing else alive, and what still is not covered stays
   * on disk, reported as unsaved.
   */
  async #stop(id: ReplId, save: boolean): Promise<void> {
    const live = this.#live.get(id);
    const dirs = this.#dirs(id);
    const spec = live?.spec ?? this.#specs.get(id);
    if (live) {
      const agent = new AgentClient({ kind: 'unix', socketPath: dirs.agentSocket });
      this.#setStatus(id, { state: 'stopping', step: 'stopping the app and every process' });
      // An agent that does not answer is ended with its sandbox below; the check after tells.
      await agent.quiesce().catch(() => undefined);
      let saved = false;
      if (save) {
        this.#setStatus(id, { state: 'stopping', step: 'saving files' });
        const status = await agent.flushSync(FLUSH_TIMEOUT_MS).catch(() => undefined);
        saved = status?.state === 'synced' && !status.pending;
      }
      this.#setStatus(id, { state: 'stopping', step: 'stopping VS Code' });
      await this.#launcher.end(live);
      this.#live.delete(id);
      await fsp.rm(dirs.pidsFile, { force: true });
      if (!save || !spec) return;
      if (saved && (await uncovered(this.#opts.workspaces, spec, dirs)).length === 0) {
        await dropLocal(dirs);
        await releasePrivate(dirs);
        this.#setStatus(id, { state: 'stopped' });
        return;
      }
      return this.#saveLeftFiles(id, spec, dirs);
    }
    if (!save || this.status(id).state !== 'error') return;
    // A start cut short while restoring (known here, not read from the repl's folders): the
    // local copy is only part of what the store holds.
    if (this.#partialRestores.delete(id)) {
      await dropLocal(dirs);
      await releasePrivate(dirs);
      return this.#setStatus(id, { state: 'stopped' });
    }
    // Stopped earlier with files it could not save: try again.
    if (spec && fs.existsSync(dirs.workspace)) return this.#saveLeftFiles(id, spec, dirs);
    this.#setStatus(id, { state: 'stopped' });
  }

  /** Saves a stopped repl's files with a one-off agent; on failure they stay, reported unsaved. */
  async #saveLeftFiles(id: ReplId, spec: ReplSpec, dirs: ReplDirs): Promise<void> {
    this.#setStatus(id, { state: 'stopping', step: 'saving files' });
    try {
      await saveOffline(this.#launcher, this.#opts.workspaces, spec, dirs, this.#opts.log);
    } catch (err) {
      await releasePrivate(dirs).catch(() => undefined);
      const message = `could not save files (${describeError(err)}); they are kept on this machine and saved at the next start or stop`;
      this.#setStatus(id, { state: 'error', error: message, unsaved: true });
      throw new AppError('UNAVAILABLE', message);
    }
    this.#setStatus(id, { state: 'stopped' });
  }
}
