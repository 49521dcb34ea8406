import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isReplId, newReplId } from '@codeyard/common/repl-id';
import type { ExecRequest, ExecResult } from '@codeyard/common/agent/protocol';
import { KeyedQueue, Slots } from '@codeyard/common/concurrency';
import { AppError, describeError } from '@codeyard/common/errors';
import { requestOverSocket } from '@codeyard/common/http-client';
import { groupExists, groupHasMarker, processExists, terminateGroup } from '@codeyard/common/process-group';
import type http from 'node:http';
import { createWorkspaceRelay, listenRelay } from '../../store/workspace-relay.js';
import type { WorkspaceStore } from '../../store/workspace-store.js';
import { compareVersions, findVersion, type StackManifest } from '../../templates/manifest.js';
import { AgentClient } from '@codeyard/common/agent/client';
import type { Endpoints, LimitReport, ReplSpec, Runtime, RuntimeDescription, RuntimeStatus, StackAvailability } from '../runtime.js';
import type { Config } from '../../config.js';
import type { CodeServerCommand, CodeServerProvisioner } from './code-server-provision.js';
import { codeServerArgs, DEFAULT_SETTINGS } from './code-server-settings.js';
import { codeServerBuiltinDir, prepareBuiltinExtensions } from './ide-extensions.js';
import { buildReplEnv } from './repl-env.js';
import { uncoveredPaths } from '@codeyard/agent/sync/coverage';
import { bindHostSockets, hostSocketFds } from './host-sockets.js';
import { preparePrivate, prepareShared, releasePrivate, removeReplFolders, replDirs, type ReplDirs, sharedDir } from './repl-folders.js';
import { type CgroupSupport, createReplCgroups, detectCgroups, joinCgroupsCommand, removeReplCgroups } from './cgroups.js';
import { createEgressProxy } from '@codeyard/proxy/egress-proxy';
import { mountVolume, releaseVolume, remountVolume, volumeFree, volumeNeeds, type VolumeNeeds, volumeProblem } from './workspace-volume.js';
import { INSIDE, SANDBOX_PATH, sandboxCommand, type SandboxLimits, type SandboxMounts, untraversable, writeIdentityFiles } from './sandbox.js';

/** Unix socket paths are limited to 107 bytes on Linux. */
const MAX_SOCKET_PATH = 107;
/** Marks every process of one repl instance, so a later portal can tell them apart. */
const INSTANCE_MARKER = 'CODEYARD_INSTANCE';
const HEALTH_TIMEOUT_MS = 60_000;
/** Longest a stop waits for the agent's last sync before it gives up (the files stay on disk). */
const FLUSH_TIMEOUT_MS = 10 * 60_000;
/** A sandbox that dies this often is left in the error state instead of being restarted. */
const MAX_SANDBOX_RESTARTS = 3;
const RESTART_WINDOW_MS = 5 * 60_000;
const STACK_CHECK_TTL_MS = 60_000;
/** How long a warm sandbox handed to a new repl waits for that repl's first start. */
const TAKEN_WARM_MS = 2 * 60_000;
const STACK_CHECK_TIMEOUT_MS = 10_000;
/** Toolchain checks (each a sandbox) running at once, whatever the number of requests. */
const MAX_STACK_CHECKS = 2;

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ProcessRuntimeOptions {
  /** Where each repl gets a folder: workspace, home, state, sockets. */
  rootDir: string;
  /** The object store's workspaces; each repl's agent syncs to its own through a relay. */
  workspaces: WorkspaceStore;
  /** Sync timing handed to the agent (its defaults when absent). */
  sync?: { debounceMs?: number; scanIntervalMs?: number };
  provisioner: CodeServerProvisioner;
  /** The bundled repl agent (agent/dist/codeyard-agent.cjs). */
  agentBundle: string;
  /**
   * The Codeyard VS Code extension (vscode-extension/dist/codeyard.vsix), built into every repl's
   * code-server; without it (or when the file is missing) code-server runs without it.
   */
  ideExtension?: string;
  /** Largest file the agent's files API handles. */
  maxFileBytes: number;
  sandbox: SandboxOptions;
  log: Logger;
}

export interface SandboxOptions {
  /** `bubblewrap`: every repl process in its own sandbox. `off`: plain processes (trusted use only). */
  mode: 'bubblewrap' | 'off';
  /**
   * `internet`: the repl's own network namespace, with HTTP(S) out through the egress proxy
   * (public addresses only). `none`: its own namespace, loopback only. `host`: the host's network.
   */
  network: 'internet' | 'none' | 'host';
  /** First host uid handed to repls when the portal runs as root (one uid per repl). */
  uidBase: number;
  limits: SandboxLimits & { memoryBytes: number; cpus: number; diskBytes: number };
}

/** The sandbox settings of a configuration. */
export function sandboxOptionsFrom(config: Readonly<Config>): SandboxOptions {
  return {
    mode: config.sandbox,
    network: config.replNetwork,
    uidBase: config.sandboxUidBase,
    limits: {
      processes: config.limitProcesses,
      openFiles: config.limitOpenFiles,
      memoryBytes: config.limitMemoryBytes,
      cpus: config.limitCpus,
      diskBytes: config.limitDiskBytes,
    },
  };
}

/** Paths as the repl's own processes see them. */
interface ReplView {
  home: string;
  workspace: string;
  run: string;
  state: string;
  agent: string;
  /** Folder of the workspace relay socket. */
  store: string;
}


interface PidsFile {
  /** The sandbox: its outer process leads the group the agent and code-server live in. */
  agentPid: number;
  instance: string;
}

interface Live {
  spec: ReplSpec;
  dirs: ReplDirs;
  /** Host uid of the sandbox, when the portal is root. */
  uid?: number;
  instance: string;
  env: Record<string, string>;
  /** cgroup.procs files the repl's processes join (memory, CPU). */
  cgroupProcs: string[];
  agentPid: number;
  /** When the sandbox had to be restarted lately. */
  restarts: number[];
  /** The repl's workspace relay (the agent syncs through it). */
  relay?: http.Server;
  /** The built-in extensions folder its code-server was given (kept for its agent config). */
  builtinExtensions?: string;
}

/**
 * The default runtime: each repl is a set of local processes (code-server and the repl agent,
 * which runs the app), reached over unix sockets the portal binds in a root-only folder of the
 * repl (host-sockets.ts), so there is no TCP port per repl and no port conflict between repls.
 * Processes are detached with their output in files, so they outlive a portal crash and are
 * adopted by the next portal. The sandbox (bubblewrap, own network namespace, limits) wraps
 * these same processes.
 *
 * Why this file is still ~1,200 lines: it is one class whose private state (live sandboxes,
 * queues, the warm pool, the volume probe) every step shares, and the security work that grew
 * it kept to the smallest reviewable diff. Its split by responsibility (launch, host
 * capabilities, uid allocation, folder layout, crash monitor, warm pool as its own class) is
 * item 3 of the foundation issue, next in line; host-sockets.ts and repl-folders.ts are the
 * first pieces already out.
 */
export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  readonly #opts: ProcessRuntimeOptions;
  readonly #status = new Map<string, RuntimeStatus>();
  readonly #live = new Map<string, Live>();
  /** The last spec each repl was started with: a failed save is retried with it. */
  readonly #specs = new Map<string, ReplSpec>();
  readonly #queues = new KeyedQueue();
  /** Starts in progress, so a stop, delete or shutdown can cut them short. */
  readonly #starting = new Map<string, AbortController>();
  /** Repls whose start was cut short during the restore: their local copy is a partial one. */
  readonly #partialRestores = new Set<string>();
  readonly #events = new EventEmitter<{ status: [string, RuntimeStatus] }>();
  readonly #availability = new Map<string, { at: number; result: StackAvailability }>();
  readonly #checking = new Map<string, Promise<StackAvailability>>();
  readonly #checkSlots = new Slots(MAX_STACK_CHECKS);
  readonly #monitor: NodeJS.Timeout;
  readonly #agentCopy: string;
  #uidLock: Promise<unknown> = Promise.resolve();
  #codeServer?: CodeServerCommand;
  /** code-server's built-in extensions folder with the Codeyard extension in it, made once per code-server. */
  #builtinExtensions?: { for: CodeServerCommand; dir: Promise<string | undefined> };
  #sandboxCheck?: Promise<string | undefined>;
  readonly #cgroups: CgroupSupport;
  /** Why workspaces get no disk quota here, or undefined when they do. */
  #volumeProblem: string | undefined;
  #volumeProbe?: Promise<void>;
  /** The egress proxy every `internet` repl goes out through, on a unix socket. */
  #egress?: { server: import('node:http').Server; dir: string; ready: Promise<void> };
  #closed = false;
  /** Warm pool: pre-started sandboxes per stack, and those taken for a repl not started yet. */
  readonly #pool = new Map<string, Live[]>();
  readonly #taken = new Map<string, Live>();
  #poolStacks: StackManifest[] = [];
  #poolSize = 0;
  /** The 1-minute load average above which the pool waits to refill (running repls first). */
  #poolMaxLoad = os.cpus().length;
  #poolTimer?: NodeJS.Timeout;
  #refilling = false;

  /** A root portal gives every sandbox its own unprivileged host uid. */
  get #switchesUid(): boolean {
    return this.#opts.sandbox.mode === 'bubblewrap' && process.getuid?.() === 0;
  }

  constructor(options: ProcessRuntimeOptions) {
    this.#opts = options;
    const probe = this.#dirs('aaaaaaaaaaaa').agentSocket;
    if (Buffer.byteLength(probe) > MAX_SOCKET_PATH) {
      throw new Error(`the runtime folder ${options.rootDir} is too deep for unix socket paths (${probe} is over ${MAX_SOCKET_PATH} bytes): set CODEYARD_DATA to a shorter path`);
    }
    fs.mkdirSync(options.rootDir, { recursive: true, mode: 0o711 });
    if (this.#switchesUid) {
      // Each repl's uid must get through to its own folder (and no further: 0711 lists nothing).
      fs.chmodSync(options.rootDir, 0o711);
      const blocked = untraversable(options.rootDir);
      if (blocked.length) throw new Error(`repl sandboxes run as unprivileged users, who cannot reach ${options.rootDir}: allow passing through ${blocked.join(', ')} (chmod o+x), or set CODEYARD_DATA to a folder under one that allows it`);
    }
    // Writing cgroups takes root; a non-root portal relies on the host's own limits.
    this.#cgroups = this.#switchesUid ? detectCgroups() : {};
    this.#volumeProblem = this.#opts.sandbox.mode === 'bubblewrap' ? volumeProblem() : 'no sandbox';
    // The agent is copied into the shared folder (see #probeVolumes): readable by every sandbox, writable by none.
    this.#agentCopy = options.sandbox.mode === 'bubblewrap' ? path.join(sharedDir(options.rootDir), 'codeyard-agent.cjs') : options.agentBundle;
    // Last: its socket goes into the shared folder, which the volume probe mounts first.
    if (options.sandbox.mode === 'bubblewrap' && options.sandbox.network === 'internet') this.#egress = this.#startEgress();
    this.#monitor = setInterval(() => void this.#checkProcesses(), 2000);
    this.#monitor.unref();
  }

  // ---- Runtime interface ----

  /**
   * What this runtime enforces here. Limits are reported as they really are: a limit this host
   * cannot apply says so, with why.
   */
  describe(): RuntimeDescription {
    const sandboxed = this.#opts.sandbox.mode === 'bubblewrap';
    const perUid = this.#switchesUid;
    const { processes, openFiles } = this.#opts.sandbox.limits;
    const rlimit = (value: number, what: string): LimitReport =>
      perUid ? { value, enforced: true, mechanism: `${what} on the repl's own host uid` } : { value, enforced: false, reason: 'rlimits are applied only when the portal runs as root and gives each repl its own uid' };
    return {
      driver: this.name,
      sandbox: this.#opts.sandbox.mode,
      network: sandboxed ? (this.#opts.sandbox.network === 'internet' ? 'internet (HTTP/HTTPS through the egress proxy; public addresses only)' : this.#opts.sandbox.network) : 'host',
      uidPerRepl: perUid,
      limits: {
        processes: rlimit(processes, 'RLIMIT_NPROC'),
        openFiles: rlimit(openFiles, 'RLIMIT_NOFILE'),
        memory: this.#cgroups.memory
          ? { value: this.#opts.sandbox.limits.memoryBytes, enforced: true, mechanism: `cgroup v${this.#cgroups.memory.version} memory controller, per repl (the OOM killer stays inside it)` }
          : { value: this.#opts.sandbox.limits.memoryBytes, enforced: false, reason: perUid ? 'no writable memory cgroup here' : 'cgroups are written only by a root portal' },
        cpu: this.#cgroups.cpu
          ? { value: this.#opts.sandbox.limits.cpus, enforced: true, mechanism: `cgroup v${this.#cgroups.cpu.version} cpu controller (CFS quota), per repl` }
          : { value: this.#opts.sandbox.limits.cpus, enforced: false, reason: perUid ? 'no writable cpu cgroup here' : 'cgroups are written only by a root portal' },
        disk: this.#volumeProblem
          ? { value: this.#opts.sandbox.limits.diskBytes, enforced: false, reason: this.#volumeProblem }
          : { value: this.#opts.sandbox.limits.diskBytes, enforced: true, mechanism: 'a loop-mounted ext4 volume per workspace (writes fail at the quota)' },
      },
    };
  }

  /**
   * The egress proxy's socket, in the shared folder (a volume of its own where volumes work, so
   * its path inside a sandbox tells nothing about the host's).
   */
  #startEgress(): { server: import('node:http').Server; dir: string; ready: Promise<void> } {
    const dir = path.join(sharedDir(this.#opts.rootDir), 'egress');
    const socket = path.join(dir, 'egress.sock');
    const server = createEgressProxy({ log: this.#opts.log });
    const ready = (async () => {
      await this.#probeVolumes();
      await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
      await fsp.chmod(dir, 0o755);
      await fsp.rm(socket, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socket, () => {
          // Every repl uid may connect; what it can reach is the proxy's decision.
          fs.chmodSync(socket, 0o666);
          resolve();
        });
      });
    })();
    // Whoever starts a repl awaits it and sees the failure; it must not end the process before.
    ready.catch(() => undefined);
    return { server, dir, ready };
  }

  /** Runs the one-time host checks, so that describe() reports what really works here. */
  async prepare(): Promise<void> {
    await Promise.all([this.sandboxProblem(), this.#probeVolumes()]);
  }

  /** Undefined when a sandbox can be made here; else why not and what to do. Checked once. */
  sandboxProblem(): Promise<string | undefined> {
    this.#sandboxCheck ??= (async () => {
      if (this.#opts.sandbox.mode === 'off') return undefined;
      const dirs = this.#dirs('check');
      const uid = this.#switchesUid ? this.#opts.sandbox.uidBase - 1 : undefined;
      await this.#prepareFolders(dirs, uid, { emptyWorkspace: true });
      const { file, args, spawnEnv } = this.#command(dirs, uid, { PATH: SANDBOX_PATH }, ['/bin/true'], []);
      return new Promise<string | undefined>((resolve) => {
        execFile(file, args, { env: spawnEnv, timeout: 10_000, cwd: '/' }, (err, _stdout, stderr) => {
          if (!err) return resolve(undefined);
          resolve(`bubblewrap cannot make a sandbox on this machine (${(stderr || err.message).trim()}). Install bubblewrap and allow unprivileged user namespaces, or set CODEYARD_SANDBOX=off for trusted single-user use`);
        });
      });
    })();
    return this.#sandboxCheck;
  }

  /**
   * Whether a stack's toolchain is there, checked in a sandbox like the repl's and cached for a
   * minute. Single-flight per stack and at most MAX_STACK_CHECKS sandboxes at once: a burst of
   * requests (the review sent many GET /api/stacks after the cache expired) waits for the one
   * check in flight instead of starting a sandbox each. A check that could not finish (timeout,
   * no processes left) is not a verdict: the last verdict stands, or "try again" is answered,
   * and nothing is cached.
   */
  checkStack(manifest: StackManifest): Promise<StackAvailability> {
    const cached = this.#availability.get(manifest.id);
    if (cached && Date.now() - cached.at < STACK_CHECK_TTL_MS) return Promise.resolve(cached.result);
    let check = this.#checking.get(manifest.id);
    if (!check) {
      check = this.#checkSlots.run(() => this.#checkStackNow(manifest)).finally(() => this.#checking.delete(manifest.id));
      this.#checking.set(manifest.id, check);
    }
    return check;
  }

  async #checkStackNow(manifest: StackManifest): Promise<StackAvailability> {
    const problem = await this.sandboxProblem();
    if (problem) return { available: false, reason: problem };
    // The check runs where the repl will: in a sandbox of its own when sandboxing is on.
    const dirs = this.#dirs('check');
    const uid = this.#switchesUid ? this.#opts.sandbox.uidBase - 1 : undefined;
    await this.#prepareFolders(dirs, uid, { emptyWorkspace: true });
    const env = this.#replEnv('check', dirs, manifest.port, '');
    const { file, args, spawnEnv } = this.#command(dirs, uid, env, ['/bin/sh', '-c', manifest.toolchain.check], []);
    const verdict = await new Promise<StackAvailability | undefined>((resolve) => {
      execFile(file, args, { env: spawnEnv, timeout: STACK_CHECK_TIMEOUT_MS, cwd: '/' }, (err, stdout, stderr) => {
        const tc = manifest.toolchain;
        const where = this.#opts.sandbox.mode === 'bubblewrap' ? 'in the repl sandbox, which sees only system folders (/usr, /bin…)' : 'on this machine';
        // Killed at the timeout, or no process could be made: the machine was busy, not the stack missing.
        if (err && (err.killed || typeof err.code === 'string')) return resolve(undefined);
        if (err) return resolve({ available: false, reason: `${tc.name} was not found ${where}. ${tc.installHint}` });
        const version = findVersion(`${stdout}\n${stderr}`);
        if (tc.minVersion && (!version || compareVersions(version, tc.minVersion) < 0)) {
          return resolve({ available: false, version, reason: `${tc.name} ${version ?? '(unknown version)'} is older than the ${tc.minVersion} this stack needs. ${tc.installHint}` });
        }
        resolve({ available: true, version });
      });
    });
    if (!verdict) {
      this.#opts.log.warn({ stack: manifest.id }, 'stack check did not finish (machine busy); keeping the last verdict');
      return this.#availability.get(manifest.id)?.result ?? { available: false, reason: `the ${manifest.toolchain.name} check did not finish: the machine is busy. Try again in a moment` };
    }
    this.#availability.set(manifest.id, { at: Date.now(), result: verdict });
    return verdict;
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

  stop(id: string): Promise<void> {
    // A start still waiting (a restore that cannot finish, a slow store) gives way at once.
    this.#starting.get(id)?.abort();
    return this.#serial(id, () => this.#stop(id, true));
  }

  delete(id: string): Promise<void> {
    this.#starting.get(id)?.abort();
    return this.#serial(id, async () => {
      // A repl made from a warm sandbox and deleted before it ever started: end that sandbox too.
      const warm = this.#taken.get(id);
      this.#taken.delete(id);
      if (warm) await this.#discard(warm);
      await this.#stop(id, false);
      const dirs = this.#dirs(id);
      await removeReplFolders(dirs);
      this.#status.delete(id);
      this.#specs.delete(id);
    });
  }

  status(id: string): RuntimeStatus {
    return this.#status.get(id) ?? { state: 'stopped', since: new Date(0).toISOString() };
  }

  watch(listener: (id: string, status: RuntimeStatus) => void): () => void {
    this.#events.on('status', listener);
    return () => this.#events.off('status', listener);
  }

  async exec(id: string, request: ExecRequest): Promise<ExecResult> {
    const endpoints = this.endpoints(id);
    if (!endpoints) throw new AppError('NOT_RUNNING', 'the repl is not running; start it first');
    return new AgentClient(endpoints.agent).exec(request);
  }

  endpoints(id: string): Endpoints | undefined {
    const live = this.#live.get(id);
    if (!live || this.status(id).state !== 'running') return undefined;
    const { dirs } = live;
    return {
      ide: { kind: 'unix', socketPath: dirs.ideSocket },
      agent: { kind: 'unix', socketPath: dirs.agentSocket },
      port: (port) => ({ kind: 'tunnel', socketPath: dirs.tunnelSocket, port }),
    };
  }

  workspacePath(id: string): string {
    return this.#view(this.#dirs(id)).workspace;
  }

  active(): string[] {
    return [...this.#status].filter(([, s]) => s.state !== 'stopped').map(([id]) => id);
  }

  async recover(specFor: (id: string) => Promise<ReplSpec | undefined>): Promise<{ adopted: string[]; saved: string[] }> {
    const adopted: string[] = [];
    const saved: string[] = [];
    const ids = (await fsp.readdir(this.#opts.rootDir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory() && isReplId(d.name)).map((d) => d.name);
    for (const id of ids) {
      await this.#serial(id, async () => {
        const dirs = this.#dirs(id);
        const spec = await specFor(id);
        const pids = await readPids(dirs.pidsFile);
        const ours = (pid: number): boolean => !!pids && groupHasMarker(pid, `${INSTANCE_MARKER}=${pids.instance}`);
        if (spec && pids && ours(pids.agentPid) && (await this.#healthy(dirs))) {
          const uid = this.#switchesUid ? Number(await fsp.readFile(dirs.uidFile, 'utf8')) : undefined;
          const env = this.#replEnv(id, dirs, spec.manifest.port, pids.instance);
          const relay = await this.#openRelay(spec, dirs, uid);
          this.#live.set(id, { spec, dirs, uid, env, cgroupProcs: createReplCgroups(this.#cgroups, id, this.#limitsFor(spec)), ...pids, restarts: [], relay });
          this.#specs.set(id, spec);
          // Restarting an adopted sandbox later needs to know where code-server and its Node are.
          this.#codeServer ??= await this.#opts.provisioner.ensure(() => undefined);
          this.#setStatus(id, { state: 'running' });
          adopted.push(id);
          return;
        }
        // Not whole any more: end what is left, keep the files.
        if (pids && ours(pids.agentPid)) await terminateGroup(pids.agentPid, 3000);
        removeReplCgroups(this.#cgroups, id);
        await fsp.rm(dirs.pidsFile, { force: true });
        if (spec) this.#specs.set(id, spec);
        if (!spec) {
          // The repl was deleted while its processes ran: nothing to keep.
          await removeReplFolders(dirs);
          return;
        }
        if (fs.existsSync(dirs.workspace)) {
          try {
            await this.#saveOffline(spec, dirs);
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
    clearInterval(this.#monitor);
    clearTimeout(this.#poolTimer);
    const warm = [...[...this.#pool.values()].flat(), ...this.#taken.values()];
    this.#pool.clear();
    this.#taken.clear();
    await Promise.all(warm.map((live) => this.#discard(live).catch(() => undefined)));
    await Promise.all([...this.#live.keys()].map((id) => this.stop(id).catch((err: unknown) => this.#opts.log.error({ replId: id, err: describeError(err) }, 'stop at shutdown failed'))));
    this.#egress?.server.close();
    this.#egress?.server.closeAllConnections();
  }

  // ---- internals ----

  #dirs(id: string): ReplDirs {
    return replDirs(this.#opts.rootDir, id);
  }


  #setStatus(id: string, status: Omit<RuntimeStatus, 'since'>): void {
    const full: RuntimeStatus = { ...status, since: new Date().toISOString() };
    this.#status.set(id, full);
    this.#events.emit('status', id, full);
  }

  /** Runs start/stop/delete of one repl one at a time, in call order. */
  #serial<T>(id: string, task: () => Promise<T>): Promise<T> {
    return this.#queues.run(id, task);
  }

  async #start(spec: ReplSpec, signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new AppError('UNAVAILABLE', 'Codeyard is shutting down');
    if (this.#live.has(spec.id) && this.status(spec.id).state === 'running') return;
    const warm = this.#taken.get(spec.id);
    if (warm) {
      this.#taken.delete(spec.id);
      // A warm volume is sized for the quota alone: a workspace of many small files may need more.
      if (this.#volumeProblem || (await this.#holds(warm.dirs.workspace, await this.#volumeNeeds(spec)))) return this.#activate(spec, warm, signal);
      await this.#discard(warm);
    }
    const dirs = this.#dirs(spec.id);
    this.#specs.set(spec.id, spec);
    const step = (text: string): void => this.#setStatus(spec.id, { state: 'starting', step: text });
    let agentPid: number | undefined;
    let relay: http.Server | undefined;
    try {
      const problem = await this.sandboxProblem();
      if (problem) throw new AppError('UNAVAILABLE', problem);
      await this.#egress?.ready;
      await this.#probeVolumes();
      step('preparing the workspace');
      const uid = this.#switchesUid ? await this.#uidFor(dirs) : undefined;
      await this.#prepareFolders(dirs, uid);
      await this.#ensureWorkspace(spec, dirs, uid);
      step('preparing VS Code');
      const codeServer = await this.#opts.provisioner.ensure((message) => step(message));
      this.#codeServer = codeServer;
      const builtinExtensions = await this.#prepareIdeExtensions(codeServer);
      step('starting VS Code');
      const instance = randomBytes(8).toString('hex');
      const env = this.#replEnv(spec.id, dirs, spec.manifest.port, instance);
      await this.#writeAgentConfig(spec, dirs, { ide: true, builtinExtensions });
      relay = await this.#openRelay(spec, dirs, uid);
      const cgroupProcs = createReplCgroups(this.#cgroups, spec.id, this.#limitsFor(spec));
      const live: Live = { spec, dirs, uid, instance, env, cgroupProcs, agentPid: 0, restarts: [], relay, builtinExtensions };
      agentPid = live.agentPid = await this.#spawnAgent(live);
      await this.#waitHealthy(dirs, [agentPid], step, signal, () => this.#partialRestores.add(spec.id));
      this.#partialRestores.delete(spec.id);
      this.#live.set(spec.id, live);
      await this.#writePids(live);
      this.#setStatus(spec.id, { state: 'running' });
    } catch (err) {
      if (agentPid) await terminateGroup(agentPid, 2000);
      await closeRelay(relay);
      removeReplCgroups(this.#cgroups, spec.id);
      this.#live.delete(spec.id);
      const message = describeError(err);
      this.#opts.log.error({ replId: spec.id, err: message }, 'repl start failed');
      this.#setStatus(spec.id, { state: 'error', error: `could not start: ${message}` });
      throw err instanceof AppError ? err : new AppError('UNAVAILABLE', `the repl could not start: ${message}`);
    }
  }

  #syncConfig(view: ReplView): { socket: string; debounceMs?: number; scanIntervalMs?: number } {
    return { socket: `${view.store}/store.sock`, ...this.#opts.sync };
  }

  // ---- warm pool ----

  /**
   * Keeps `size` sandboxes of each stack started ahead (agent and code-server up, on an empty
   * workspace volume), so creating a repl is only a restore. Refilled in the background, one at
   * a time, and not while the machine is busy.
   */
  warmPool(stacks: readonly StackManifest[], size: number, options: { maxLoad?: number } = {}): void {
    this.#poolStacks = [...stacks];
    this.#poolSize = size;
    this.#poolMaxLoad = options.maxLoad ?? os.cpus().length;
    if (size > 0) this.#refillSoon(0);
  }

  /** Ready warm sandboxes per stack (for GET /api/runtime and tests). */
  warmCounts(): Record<string, number> {
    return Object.fromEntries(this.#poolStacks.map((m) => [m.id, this.#pool.get(m.id)?.length ?? 0]));
  }

  takeWarm(stack: string): string | undefined {
    const entries = this.#pool.get(stack) ?? [];
    while (entries.length) {
      const live = entries.shift()!;
      this.#refillSoon(1000);
      if (!processExists(live.agentPid)) {
        void this.#discard(live);
        continue;
      }
      this.#taken.set(live.spec.id, live);
      // Held for a repl that may never start (made through the API, say): not for long, since
      // it runs outside every running limit. A later start is then a cold one.
      setTimeout(() => {
        void this.#serial(live.spec.id, async () => {
          if (this.#taken.get(live.spec.id) !== live) return;
          this.#taken.delete(live.spec.id);
          await this.#discard(live);
        }).catch(() => undefined);
      }, TAKEN_WARM_MS).unref();
      return live.spec.id;
    }
    return undefined;
  }

  async releaseWarm(id: string): Promise<void> {
    const live = this.#taken.get(id);
    if (!live) return;
    this.#taken.delete(id);
    await this.#discard(live);
  }

  #refillSoon(delayMs: number): void {
    if (this.#closed || this.#poolSize <= 0 || this.#poolTimer) return;
    this.#poolTimer = setTimeout(() => {
      this.#poolTimer = undefined;
      void this.#refill();
    }, delayMs);
    this.#poolTimer.unref();
  }

  async #refill(): Promise<void> {
    if (this.#refilling || this.#closed) return;
    this.#refilling = true;
    try {
      for (const manifest of this.#poolStacks) {
        const entries = this.#pool.get(manifest.id) ?? [];
        this.#pool.set(manifest.id, entries);
        while (entries.length < this.#poolSize && !this.#closed) {
          // Running repls come first: a busy machine waits with the refill.
          if (os.loadavg()[0] > this.#poolMaxLoad) return this.#refillSoon(10_000);
          if (!(await this.#opts.provisioner.installed())) return this.#refillSoon(30_000);
          entries.push(await this.#launchWarm(manifest));
        }
      }
    } catch (err) {
      this.#opts.log.warn({ err: describeError(err) }, 'could not start a warm sandbox; trying again later');
      this.#refillSoon(30_000);
    } finally {
      this.#refilling = false;
    }
  }

  /** Starts a sandbox for a repl that does not exist yet: the id is chosen now, for it. */
  async #launchWarm(manifest: StackManifest): Promise<Live> {
    const spec: ReplSpec = { id: newReplId(), manifest, workspacePrefix: '' };
    const dirs = this.#dirs(spec.id);
    let agentPid = 0;
    try {
      const problem = await this.sandboxProblem();
      if (problem) throw new AppError('UNAVAILABLE', problem);
      await this.#egress?.ready;
      await this.#probeVolumes();
      const uid = this.#switchesUid ? await this.#uidFor(dirs) : undefined;
      await this.#prepareFolders(dirs, uid);
      await this.#ensureWorkspace(spec, dirs, uid);
      const codeServer = await this.#opts.provisioner.ensure(() => undefined);
      this.#codeServer = codeServer;
      const builtinExtensions = await this.#prepareIdeExtensions(codeServer);
      const instance = randomBytes(8).toString('hex');
      const env = this.#replEnv(spec.id, dirs, manifest.port, instance);
      await this.#writeAgentConfig(spec, dirs, { ide: true, builtinExtensions, pooled: true });
      const cgroupProcs = createReplCgroups(this.#cgroups, spec.id, this.#limitsFor(spec));
      const live: Live = { spec, dirs, uid, instance, env, cgroupProcs, agentPid: 0, restarts: [], builtinExtensions };
      agentPid = live.agentPid = await this.#spawnAgent(live);
      await this.#waitHealthy(dirs, [agentPid]);
      return live;
    } catch (err) {
      if (agentPid) await terminateGroup(agentPid, 2000);
      removeReplCgroups(this.#cgroups, spec.id);
      await removeReplFolders(dirs);
      throw err;
    }
  }

  /** Turns a warm sandbox into the repl `spec`: its relay opens and its agent restores the files. */
  async #activate(spec: ReplSpec, live: Live, signal?: AbortSignal): Promise<void> {
    const { dirs } = live;
    this.#specs.set(spec.id, spec);
    this.#setStatus(spec.id, { state: 'starting', step: 'restoring files' });
    try {
      live.spec = spec;
      live.relay = await this.#openRelay(spec, dirs, live.uid);
      // Its config on disk becomes a plain repl's: a sandbox restart must not come back pooled.
      await this.#writeAgentConfig(spec, dirs, { ide: true, builtinExtensions: live.builtinExtensions });
      const info = spec.info ?? { name: '', stack: spec.manifest.id, port: spec.manifest.port, previewUrl: '' };
      const activation = new AgentClient({ kind: 'unix', socketPath: dirs.agentSocket }).activate({ sync: this.#syncConfig(this.#view(dirs)), info }, FLUSH_TIMEOUT_MS);
      await Promise.race([activation, cancelled(signal)]);
      this.#live.set(spec.id, live);
      await this.#writePids(live);
      this.#setStatus(spec.id, { state: 'running' });
    } catch (err) {
      await this.#discard(live);
      const message = describeError(err);
      this.#opts.log.error({ replId: spec.id, err: message }, 'warm sandbox activation failed');
      this.#setStatus(spec.id, { state: 'error', error: `could not start: ${message}` });
      throw err instanceof AppError ? err : new AppError('UNAVAILABLE', `the repl could not start: ${message}`);
    }
  }

  /** Ends a sandbox that never became (or stays) a running repl, and removes its folder. */
  async #discard(live: Live): Promise<void> {
    await terminateGroup(live.agentPid, 2000);
    await closeRelay(live.relay);
    removeReplCgroups(this.#cgroups, live.spec.id);
    await removeReplFolders(live.dirs);
  }

  /** The workspace folder: its own volume when quotas are on (kept across restarts), owned by the repl. */
  async #ensureWorkspace(spec: ReplSpec, dirs: ReplDirs, uid: number | undefined): Promise<void> {
    if (!this.#volumeProblem) {
      if (!(await remountVolume(dirs.volume, dirs.workspace))) await mountVolume(dirs.volume, dirs.workspace, await this.#volumeNeeds(spec));
    } else {
      await fsp.mkdir(dirs.workspace, { recursive: true });
    }
    if (uid !== undefined) await fsp.chown(dirs.workspace, uid, uid);
  }

  async #holds(mountpoint: string, needs: VolumeNeeds): Promise<boolean> {
    const free = await volumeFree(mountpoint).catch(() => undefined);
    return !!free && free.bytes >= needs.bytes && free.inodes >= needs.inodes / 2;
  }

  /** What the repl's volume must hold: its quota, or more when its stored files take more blocks. */
  async #volumeNeeds(spec: ReplSpec): Promise<VolumeNeeds> {
    const quota = this.#limitsFor(spec).diskBytes;
    // A warm-pool sandbox has no workspace yet: its volume is sized for the quota.
    if (!spec.workspacePrefix) return volumeNeeds(quota);
    return volumeNeeds(quota, Object.values((await this.#opts.workspaces.manifest(spec.workspacePrefix)).entries));
  }

  /** The agent's configuration, in the repl's run folder (created fresh: never written through a link). */
  async #writeAgentConfig(spec: ReplSpec, dirs: ReplDirs, options: { ide: boolean; builtinExtensions?: string; pooled?: boolean }): Promise<string> {
    const view = this.#view(dirs);
    const file = path.join(dirs.run, options.ide ? 'agent.json' : 'agent-sync.json');
    await fsp.rm(file, { force: true });
    await fsp.writeFile(
      file,
      JSON.stringify({
        replId: spec.id,
        workspace: view.workspace,
        ownPidNamespace: this.#opts.sandbox.mode === 'bubblewrap' || undefined,
        controlSocket: `${view.run}/agent.sock`,
        tunnelSocket: `${view.run}/tunnel.sock`,
        listenFds: options.ide ? hostSocketFds() : undefined,
        stateDir: view.state,
        maxFileBytes: this.#opts.maxFileBytes,
        app: { run: spec.manifest.run, install: spec.manifest.install, installCreates: spec.manifest.installCreates },
        // A warm-pool sandbox learns its repl (and so where to sync) at activation.
        sync: options.pooled ? undefined : this.#syncConfig(view),
        pooled: options.pooled || undefined,
        egress: this.#egress ? { socket: `${INSIDE.egress}/egress.sock`, port: INSIDE.egressPort } : undefined,
        info: options.pooled ? { name: '', stack: spec.manifest.id, port: spec.manifest.port, previewUrl: '' } : spec.info,
        ide: options.ide
          ? {
              argv: this.#codeServerArgv(view, options.builtinExtensions),
              logFile: `${view.state}/code-server.log`,
              settingsFile: `${view.home}/.local/share/code-server/User/settings.json`,
              settings: DEFAULT_SETTINGS,
              socket: `${view.run}/ide.sock`,
            }
          : undefined,
      }),
      { flag: 'wx', mode: 0o644 },
    );
    return `${view.run}/${path.basename(file)}`;
  }

  /**
   * The repl's workspace relay, on a socket in a root-owned folder of its own that the sandbox
   * sees read-only: only this repl's uid may connect, and it reaches only this repl's workspace.
   */
  async #openRelay(spec: ReplSpec, dirs: ReplDirs, uid: number | undefined): Promise<http.Server> {
    await fsp.mkdir(dirs.storeDir, { recursive: true, mode: 0o755 });
    const server = createWorkspaceRelay({ workspaces: this.#opts.workspaces, prefix: spec.workspacePrefix, quotaBytes: this.#limitsFor(spec).diskBytes });
    await listenRelay(server, dirs.storeSocket, uid);
    return server;
  }

  /** Paths as the repl's processes see them: fixed inside a sandbox, the host's otherwise. */
  #view(dirs: ReplDirs): ReplView {
    if (this.#opts.sandbox.mode === 'bubblewrap') return { home: INSIDE.home, workspace: INSIDE.workspace, run: INSIDE.run, state: INSIDE.state, agent: INSIDE.agent, store: INSIDE.store };
    return { home: dirs.home, workspace: dirs.workspace, run: dirs.run, state: dirs.state, agent: this.#agentCopy, store: dirs.storeDir };
  }

  /** The environment of the repl's processes, built from nothing (see repl-env.ts). */
  #replEnv(id: string, dirs: ReplDirs, port: number, instance: string): Record<string, string> {
    const sandboxed = this.#opts.sandbox.mode === 'bubblewrap';
    const env = buildReplEnv({ replId: id, home: this.#view(dirs).home, port });
    if (sandboxed) {
      // Only system folders exist inside: no host toolchain managers, no host user.
      env.PATH = SANDBOX_PATH;
      env.USER = env.LOGNAME = INSIDE.user;
      delete env.RUSTUP_HOME;
      delete env.PYENV_ROOT;
      if (this.#egress) {
        const proxy = `http://127.0.0.1:${INSIDE.egressPort}`;
        Object.assign(env, { HTTP_PROXY: proxy, HTTPS_PROXY: proxy, http_proxy: proxy, https_proxy: proxy, NO_PROXY: 'localhost,127.0.0.1,::1', no_proxy: 'localhost,127.0.0.1,::1' });
      }
    }
    if (instance) env[INSTANCE_MARKER] = instance;
    return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  }

  /** Folders a repl's sandbox needs, owned by its uid where it may write. */
  async #prepareFolders(dirs: ReplDirs, uid: number | undefined, options: { emptyWorkspace?: boolean } = {}): Promise<void> {
    await this.#probeVolumes();
    // Every sandbox binds the egress proxy's folder: it must be there first.
    await this.#egress?.ready;
    // Home and the sandbox's own folders get a quota like the workspace's.
    // The toolchain check runs no user code and keeps nothing: plain folders, no volume to mount.
    await preparePrivate(dirs, { volumes: !this.#volumeProblem && path.basename(dirs.base) !== 'check', sizeBytes: this.#opts.sandbox.limits.diskBytes });
    for (const dir of [dirs.home, dirs.state, dirs.run]) await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    // The relay socket's folder stays root's: the repl can use the socket, never replace it.
    await fsp.mkdir(dirs.storeDir, { recursive: true, mode: 0o755 });
    // The toolchain check's sandbox has no workspace from the store: an empty folder stands in.
    if (options.emptyWorkspace) await fsp.mkdir(dirs.workspace, { recursive: true });
    if (this.#opts.sandbox.mode === 'bubblewrap') writeIdentityFiles(dirs.etc);
    if (uid !== undefined) {
      await fsp.chmod(dirs.base, 0o711);
      for (const dir of [dirs.home, dirs.state, dirs.run]) await fsp.chown(dir, uid, uid);
      if (fs.existsSync(dirs.workspace)) await fsp.chown(dirs.workspace, uid, uid);
    }
  }

  /** One host uid per repl, kept in its folder; allocated one at a time. */
  async #uidFor(dirs: ReplDirs): Promise<number> {
    const allocate = async (): Promise<number> => {
      const existing = Number(await fsp.readFile(dirs.uidFile, 'utf8').catch(() => 'NaN'));
      if (Number.isInteger(existing)) return existing;
      let max = this.#opts.sandbox.uidBase - 1;
      for (const entry of await fsp.readdir(this.#opts.rootDir)) {
        const uid = Number(await fsp.readFile(path.join(this.#opts.rootDir, entry, 'uid'), 'utf8').catch(() => 'NaN'));
        if (Number.isInteger(uid) && uid > max) max = uid;
      }
      await fsp.mkdir(dirs.base, { recursive: true, mode: 0o711 });
      await fsp.writeFile(dirs.uidFile, String(max + 1), { mode: 0o644 });
      return max + 1;
    };
    const next = this.#uidLock.catch(() => undefined).then(allocate);
    this.#uidLock = next;
    return next;
  }

  /** How to run `argv` (inside paths) for a repl: wrapped in its sandbox, or as it is. */
  #command(dirs: ReplDirs, uid: number | undefined, env: Record<string, string>, argv: string[], readOnly: string[], cgroupProcs: string[] = [], limits: SandboxLimits = this.#opts.sandbox.limits): { file: string; args: string[]; spawnEnv: NodeJS.ProcessEnv } {
    if (this.#opts.sandbox.mode === 'off') return { file: argv[0]!, args: argv.slice(1), spawnEnv: env };
    const mounts: SandboxMounts = { home: dirs.home, workspace: dirs.workspace, run: dirs.run, state: dirs.state, etc: dirs.etc, agent: this.#agentCopy, readOnly, egress: this.#egress?.dir, store: dirs.storeDir, ideExtensions: fs.existsSync(this.#ideExtensionsParent) ? this.#ideExtensionsParent : undefined };
    const network = this.#opts.sandbox.network === 'host' ? 'host' : 'none';
    const sandboxed = sandboxCommand({ hostname: path.basename(dirs.base), hostUid: uid, limits, network, mounts, env, argv });
    const { file, args } = joinCgroupsCommand(cgroupProcs, sandboxed.file, sandboxed.args);
    // bwrap itself gets only what it needs, plus the marker that tells this instance's processes apart.
    const spawnEnv: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
    if (env[INSTANCE_MARKER]) spawnEnv[INSTANCE_MARKER] = env[INSTANCE_MARKER];
    return { file, args, spawnEnv };
  }

  /** Folders code-server (and the Node that runs the agent) need to be visible in the sandbox. */
  #toolFolders(): { readOnly: string[]; node: string; codeServer: string[] } {
    const cs = this.#codeServer;
    if (!cs) throw new Error('code-server is not provisioned yet');
    if (cs.version === 'external') {
      const install = path.dirname(path.dirname(fs.realpathSync(cs.command)));
      const node = process.execPath;
      const readOnly = [install, ...(node.startsWith('/usr/') ? [] : [path.dirname(path.dirname(node))])];
      return { readOnly, node, codeServer: [cs.command, ...cs.args] };
    }
    return { readOnly: [this.#opts.provisioner.nodeDir, this.#opts.provisioner.codeServerDir], node: cs.command, codeServer: [cs.command, ...cs.args] };
  }

  /**
   * One sandbox per repl, led by the agent; the agent runs code-server inside it, so the IDE's
   * terminals share the app's processes, network and limits.
   */
  async #spawnAgent(live: Live, extra: string[] = [], config = `${this.#view(live.dirs).run}/agent.json`): Promise<number> {
    const tools = this.#toolFolders();
    const view = this.#view(live.dirs);
    const node = this.#opts.sandbox.mode === 'off' ? process.execPath : tools.node;
    const argv = [node, view.agent, config, ...extra];
    // A one-off save serves nothing; a repl's agent gets the sockets the host will connect to.
    if (extra.length) return this.#spawn(live, 'agent-sync', argv, tools.readOnly);
    const sockets = await bindHostSockets(live.dirs.sockets);
    let pid: number;
    try {
      pid = this.#spawn(live, 'agent', argv, tools.readOnly, sockets.fds);
    } catch (err) {
      sockets.discard();
      throw err;
    }
    sockets.publish();
    return pid;
  }

  #codeServerArgv(view: ReplView, builtinExtensionsDir?: string): string[] {
    const userDataDir = `${view.home}/.local/share/code-server`;
    const flags = codeServerArgs({
      socketPath: `${view.run}/ide.sock`,
      userDataDir,
      extensionsDir: `${userDataDir}/extensions`,
      configFile: `${view.home}/.config/code-server/config.yaml`,
      workspace: view.workspace,
      // Inside a sandbox the folders are at a fixed place: the host's data path stays unknown there.
      builtinExtensionsDir: builtinExtensionsDir && this.#opts.sandbox.mode === 'bubblewrap' ? `${INSIDE.ideExtensions}/${path.basename(builtinExtensionsDir)}` : builtinExtensionsDir,
    });
    return [...this.#toolFolders().codeServer, ...flags];
  }

  /** Where the built-in extensions folders are made: beside the repl folders, readable by every sandbox. */
  get #ideExtensionsParent(): string {
    return path.join(sharedDir(this.#opts.rootDir), 'ide-extensions');
  }

  /**
   * The built-in extensions folder for code-server with the Codeyard extension (made on the first
   * start after provisioning, then reused: nothing is done per repl). Undefined without the
   * extension: a repl still starts, with code-server's own built-ins.
   */
  #prepareIdeExtensions(codeServer: CodeServerCommand): Promise<string | undefined> {
    if (this.#builtinExtensions?.for === codeServer) return this.#builtinExtensions.dir;
    const dir = (async (): Promise<string | undefined> => {
      const vsix = this.#opts.ideExtension;
      if (!vsix) return undefined;
      if (!fs.existsSync(vsix)) {
        this.#opts.log.warn({ vsix }, 'the Codeyard VS Code extension is not built (npm run build); repls start without it');
        return undefined;
      }
      const install = codeServer.version === 'external' ? path.dirname(path.dirname(fs.realpathSync(codeServer.command))) : this.#opts.provisioner.codeServerDir;
      const builtins = codeServerBuiltinDir(install);
      if (!builtins) {
        this.#opts.log.warn({ install }, "code-server's built-in extensions were not found; repls start without the Codeyard extension");
        return undefined;
      }
      return prepareBuiltinExtensions({ vsix, codeServerBuiltins: builtins, parentDir: this.#ideExtensionsParent });
    })().catch((err: unknown) => {
      this.#opts.log.error({ err: describeError(err) }, 'could not prepare the Codeyard VS Code extension; repls start without it');
      this.#builtinExtensions = undefined;
      return undefined;
    });
    this.#builtinExtensions = { for: codeServer, dir };
    return dir;
  }

  /** Starts a detached process group with its output appended to `state/<name>.log`. */
  #spawn(live: Live, name: string, argv: string[], readOnly: string[], passFds: number[] = []): number {
    const { file, args, spawnEnv } = this.#command(live.dirs, live.uid, live.env, argv, readOnly, live.cgroupProcs, this.#limitsFor(live.spec));
    const out = openLogSafely(path.join(live.dirs.state, `${name}.log`));
    try {
      const child = spawn(file, args, { cwd: this.#opts.sandbox.mode === 'off' ? live.dirs.workspace : '/', env: spawnEnv, detached: true, stdio: ['ignore', out, out, ...passFds] });
      if (!child.pid) throw new Error(`could not start ${name} (${file})`);
      child.on('error', (err) => this.#opts.log.error({ err: err.message, name }, 'process error'));
      child.on('exit', () => setImmediate(() => void this.#checkProcesses()));
      child.unref();
      return child.pid;
    } finally {
      fs.closeSync(out);
    }
  }

  async #healthy(dirs: ReplDirs): Promise<boolean> {
    const probe = async (socketPath: string): Promise<boolean> => {
      try {
        return (await requestOverSocket({ socketPath, path: '/healthz', timeoutMs: 2000 })).status === 200;
      } catch {
        return false;
      }
    };
    const [ide, agent] = await Promise.all([probe(dirs.ideSocket), probe(dirs.agentSocket)]);
    return ide && agent;
  }

  /**
   * Waits for the agent and code-server to answer. The agent restores the files first: while
   * the restore moves, its progress is the step shown and the deadline keeps moving too.
   */
  async #waitHealthy(dirs: ReplDirs, pids: number[], step?: (text: string) => void, signal?: AbortSignal, restoring?: () => void): Promise<void> {
    let deadline = Date.now() + HEALTH_TIMEOUT_MS;
    let restored = -1;
    let problem = '';
    while (Date.now() < deadline) {
      if (signal?.aborted) throw new AppError('CONFLICT', 'the start was cancelled: the repl is being stopped');
      if (await this.#healthy(dirs)) return;
      for (const pid of pids) {
        if (!groupExists(pid)) throw new Error(`a repl process exited during start; see ${dirs.state}/code-server.log and agent.log`);
      }
      const sync = await new AgentClient({ kind: 'unix', socketPath: dirs.agentSocket }).sync().catch(() => undefined);
      if (sync?.state === 'degraded' && sync.permanent) throw new Error(sync.reason ?? 'the workspace could not be restored');
      if (sync?.state === 'restoring') restoring?.();
      if (sync?.state === 'restoring' && sync.restore) {
        // Only a new high mark is progress: a restore that starts over and over is not.
        if (sync.restore.done > restored) deadline = Math.max(deadline, Date.now() + HEALTH_TIMEOUT_MS);
        restored = Math.max(restored, sync.restore.done);
        step?.(`restoring files (${sync.restore.done} of ${sync.restore.total})`);
      } else if (sync?.state === 'degraded') {
        problem = sync.reason ?? 'the object store does not answer';
        step?.(`waiting for the object store: ${problem}`);
      }
      await sleep(100);
    }
    if (problem) throw new Error(`the files could not be restored: ${problem}. They are safe in the store; try again once it answers`);
    throw new Error(`VS Code or the repl agent did not answer within ${HEALTH_TIMEOUT_MS / 1000}s; see ${dirs.state}/code-server.log`);
  }

  async #writePids(live: Live): Promise<void> {
    const pids: PidsFile = { agentPid: live.agentPid, instance: live.instance };
    await fsp.writeFile(live.dirs.pidsFile, JSON.stringify(pids));
  }

  /**
   * Stops a repl. With `save`, the order is what keeps files (the security review lost writes
   * here): first every process of the repl ends (app, commands, VS Code, terminals, anything
   * they left), then the quiet workspace is saved, then the sandbox ends, then the host checks
   * that the stored manifest covers every file on disk. Only then is the local copy dropped;
   * otherwise one more save runs with nothing else alive, and what still is not covered stays
   * on disk, reported as unsaved.
   */
  async #stop(id: string, save: boolean): Promise<void> {
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
      await terminateGroup(live.agentPid);
      await closeRelay(live.relay);
      removeReplCgroups(this.#cgroups, id);
      this.#live.delete(id);
      await fsp.rm(dirs.pidsFile, { force: true });
      if (!save) return;
      if (saved && (await this.#uncovered(live.spec, dirs)).length === 0) {
        await this.#dropLocal(dirs);
        await releasePrivate(dirs);
        this.#setStatus(id, { state: 'stopped' });
        return;
      }
      return this.#saveLeftFiles(id, live.spec, dirs);
    }
    if (!save || this.status(id).state !== 'error') return;
    // A start cut short while restoring (known here, not read from the repl's folders): the
    // local copy is only part of what the store holds.
    if (this.#partialRestores.delete(id)) {
      await this.#dropLocal(dirs);
      await releasePrivate(dirs);
      return this.#setStatus(id, { state: 'stopped' });
    }
    // Stopped earlier with files it could not save: try again.
    if (spec && fs.existsSync(dirs.workspace)) return this.#saveLeftFiles(id, spec, dirs);
    this.#setStatus(id, { state: 'stopped' });
  }

  /** Saves a stopped repl's files with a one-off agent; on failure they stay, reported unsaved. */
  async #saveLeftFiles(id: string, spec: ReplSpec, dirs: ReplDirs): Promise<void> {
    this.#setStatus(id, { state: 'stopping', step: 'saving files' });
    try {
      await this.#saveOffline(spec, dirs);
    } catch (err) {
      await releasePrivate(dirs).catch(() => undefined);
      const message = `could not save files (${describeError(err)}); they are kept on this machine and saved at the next start or stop`;
      this.#setStatus(id, { state: 'error', error: message, unsaved: true });
      throw new AppError('UNAVAILABLE', message);
    }
    this.#setStatus(id, { state: 'stopped' });
  }

  /** Paths on disk the stored manifest does not hold as they are (empty: safe to drop the copy). */
  async #uncovered(spec: ReplSpec, dirs: ReplDirs): Promise<string[]> {
    if (!fs.existsSync(dirs.workspace)) return [];
    return uncoveredPaths(dirs.workspace, await this.#opts.workspaces.manifest(spec.workspacePrefix));
  }

  /** The runtime's default limits with the stack's own overrides on top. */
  #limitsFor(spec: ReplSpec): ProcessRuntimeOptions['sandbox']['limits'] {
    const defaults = this.#opts.sandbox.limits;
    const own = spec.manifest.limits ?? {};
    return {
      processes: own.processes ?? defaults.processes,
      openFiles: defaults.openFiles,
      memoryBytes: own.memoryMb !== undefined ? own.memoryMb * 1024 * 1024 : defaults.memoryBytes,
      cpus: own.cpus ?? defaults.cpus,
      diskBytes: own.diskMb !== undefined ? own.diskMb * 1024 * 1024 : defaults.diskBytes,
    };
  }

  /**
   * Makes and mounts one small volume, once: a host where loop mounts are refused (some
   * containers) then runs repls without a disk quota, and says so, instead of failing every start.
   */
  #probeVolumes(): Promise<void> {
    this.#volumeProbe ??= (async () => {
      const shared = sharedDir(this.#opts.rootDir);
      if (!this.#volumeProblem) {
        // The shared folder is the probe: a volume of its own, so its path inside tells nothing.
        try {
          if (!(await remountVolume(`${shared}.img`, shared))) await mountVolume(`${shared}.img`, shared, volumeNeeds(64 * 1024 * 1024));
        } catch (err) {
          this.#volumeProblem = `loop-mounted volumes do not work here (${describeError(err).split('\n')[0]})`;
          this.#opts.log.warn({}, `no workspace disk quota: ${this.#volumeProblem}`);
          await releaseVolume(`${shared}.img`, shared).catch(() => undefined);
        }
      }
      await prepareShared(this.#opts.rootDir, this.#agentCopy !== this.#opts.agentBundle ? this.#opts.agentBundle : undefined);
    })();
    return this.#volumeProbe;
  }


  /**
   * Saves a workspace left on disk (a portal that died, a stop that could not save) without
   * starting the repl: its agent runs once in the sandbox, syncs, and exits.
   */
  async #saveOffline(spec: ReplSpec, dirs: ReplDirs): Promise<void> {
    const uid = this.#switchesUid ? await this.#uidFor(dirs) : undefined;
    await this.#prepareFolders(dirs, uid);
    await this.#ensureWorkspace(spec, dirs, uid);
    this.#codeServer ??= await this.#opts.provisioner.ensure(() => undefined);
    const config = await this.#writeAgentConfig(spec, dirs, { ide: false });
    const relay = await this.#openRelay(spec, dirs, uid);
    const live: Live = { spec, dirs, uid, instance: randomBytes(8).toString('hex'), env: {}, cgroupProcs: [], agentPid: 0, restarts: [] };
    live.env = this.#replEnv(spec.id, dirs, spec.manifest.port, live.instance);
    try {
      const pid = await this.#spawnAgent(live, ['--sync-once'], config);
      const deadline = Date.now() + FLUSH_TIMEOUT_MS;
      while (groupExists(pid) && Date.now() < deadline) await sleep(100);
      if (groupExists(pid)) await terminateGroup(pid, 2000);
    } finally {
      await closeRelay(relay);
    }
    // Whatever the agent said, the store must hold every file as it is on disk.
    const missing = await this.#uncovered(spec, dirs);
    if (missing.length) throw new Error(`the store does not hold ${missing.join('; ')}; see ${dirs.state}/agent-sync.log`);
    this.#opts.log.info({ replId: spec.id }, 'workspace left on disk saved');
    await this.#dropLocal(dirs);
    await releasePrivate(dirs);
  }

  /** Removes the local copy of a workspace the store now holds in full. */
  async #dropLocal(dirs: ReplDirs): Promise<void> {
    await releaseVolume(dirs.volume, dirs.workspace);
    await fsp.rm(dirs.workspace, { recursive: true, force: true });
    // The agent's record of that copy goes with it (the state folder is the repl's: rm never follows links).
    for (const name of ['sync-state.json', 'restore-incomplete']) await fsp.rm(path.join(dirs.state, name), { force: true });
  }

  /**
   * Restarts the sandbox of a running repl when it died (its agent crashed or was killed); the
   * files are on disk and untouched. code-server crashes are the agent's to handle, inside.
   */
  async #checkProcesses(): Promise<void> {
    if (this.#closed) return;
    for (const [id, live] of this.#live) {
      if (this.status(id).state !== 'running' || this.#queues.has(id)) continue;
      await this.#serial(id, async () => {
        if (this.#live.get(id) !== live || this.status(id).state !== 'running' || processExists(live.agentPid)) return;
        const now = Date.now();
        live.restarts = live.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
        if (live.restarts.length >= MAX_SANDBOX_RESTARTS) {
          this.#setStatus(id, { state: 'error', error: `the repl's sandbox ended ${MAX_SANDBOX_RESTARTS} times in ${RESTART_WINDOW_MS / 60_000} minutes; see ${live.dirs.state}/agent.log. Stop and start the repl to try again; your files are kept.` });
          return;
        }
        live.restarts.push(now);
        this.#opts.log.warn({ replId: id }, 'repl sandbox ended; restarting it');
        live.agentPid = await this.#spawnAgent(live);
        await this.#writePids(live);
      }).catch((err: unknown) => this.#opts.log.error({ replId: id, err: describeError(err) }, 'process check failed'));
    }
  }
}

/**
 * Opens a log for appending in a folder the repl can write to, without following what the repl
 * may have left there: a symlink or FIFO in place of the log is removed, never written through
 * (no repl process runs while the portal does this).
 */
function openLogSafely(file: string): number {
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (stat && !stat.isFile()) fs.rmSync(file, { force: true });
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  return fs.openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o600);
}

function closeRelay(relay: http.Server | undefined): Promise<void> {
  if (!relay?.listening) return Promise.resolve();
  return new Promise((resolve) => {
    relay.close(() => resolve());
    relay.closeAllConnections();
  });
}

async function readPids(file: string): Promise<PidsFile | undefined> {
  try {
    const pids = JSON.parse(await fsp.readFile(file, 'utf8')) as PidsFile;
    return Number.isInteger(pids.agentPid) && typeof pids.instance === 'string' ? pids : undefined;
  } catch {
    return undefined;
  }
}

/** Rejects when `signal` aborts (a start cut short by a stop); never settles without one. */
function cancelled(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = (): void => reject(new AppError('CONFLICT', 'the start was cancelled: the repl is being stopped'));
    if (signal?.aborted) fail();
    else signal?.addEventListener('abort', fail, { once: true });
  });
}
