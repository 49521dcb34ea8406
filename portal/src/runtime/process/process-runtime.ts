import { exec as execCallback, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecRequest, ExecResult } from '@codeyard/common/agent-protocol';
import { AppError, describeError } from '@codeyard/common/errors';
import { requestOverSocket } from '@codeyard/common/http-client';
import { groupExists, groupHasMarker, processExists, terminateGroup } from '@codeyard/common/process-group';
import type { ObjectStore } from '../../store/object-store.js';
import { compareVersions, findVersion, type StackManifest } from '../../templates/manifest.js';
import { AgentClient } from '../agent-client.js';
import type { Endpoints, ReplSpec, Runtime, RuntimeStatus, StackAvailability } from '../runtime.js';
import { restoreWorkspace, saveWorkspace } from '../workspace-copy.js';
import type { CodeServerProvisioner } from './code-server-provision.js';
import { codeServerArgs, writeUserSettings } from './code-server-settings.js';
import { buildReplEnv } from './repl-env.js';

/** Unix socket paths are limited to 107 bytes on Linux. */
const MAX_SOCKET_PATH = 107;
/** Marks every process of one repl instance, so a later portal can tell them apart. */
const INSTANCE_MARKER = 'CODEYARD_INSTANCE';
const HEALTH_TIMEOUT_MS = 60_000;
const MAX_IDE_RESTARTS = 3;
const RESTART_WINDOW_MS = 5 * 60_000;

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ProcessRuntimeOptions {
  /** Where each repl gets a folder: workspace, home, state, sockets. */
  rootDir: string;
  store: ObjectStore;
  provisioner: CodeServerProvisioner;
  /** The bundled repl agent (agent/dist/codeyard-agent.cjs). */
  agentBundle: string;
  /** Largest file the agent's files API handles. */
  maxFileBytes: number;
  log: Logger;
}

interface ReplDirs {
  base: string;
  workspace: string;
  restoring: string;
  home: string;
  state: string;
  run: string;
  ideSocket: string;
  agentSocket: string;
  tunnelSocket: string;
  pidsFile: string;
}

interface PidsFile {
  agentPid: number;
  codeServerPid: number;
  instance: string;
}

interface Live {
  spec: ReplSpec;
  dirs: ReplDirs;
  instance: string;
  env: NodeJS.ProcessEnv;
  agentPid: number;
  codeServerPid: number;
  ideRestarts: number[];
}

/**
 * The default runtime: each repl is a set of local processes (code-server and the repl agent,
 * which runs the app), reached over unix sockets in the repl's own folder, so there is no TCP
 * port per repl and no port conflict between repls. Processes are detached with their output
 * in files, so they outlive a portal crash and are adopted by the next portal.
 * The sandbox (bubblewrap, own network namespace, limits) wraps these same processes.
 */
export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  readonly #opts: ProcessRuntimeOptions;
  readonly #status = new Map<string, RuntimeStatus>();
  readonly #live = new Map<string, Live>();
  /** The last spec each repl was started with: a failed save is retried with it. */
  readonly #specs = new Map<string, ReplSpec>();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #events = new EventEmitter<{ status: [string, RuntimeStatus] }>();
  readonly #availability = new Map<string, { at: number; result: StackAvailability }>();
  readonly #monitor: NodeJS.Timeout;
  #closed = false;

  constructor(options: ProcessRuntimeOptions) {
    this.#opts = options;
    const probe = this.#dirs('aaaaaaaaaaaa').agentSocket;
    if (Buffer.byteLength(probe) > MAX_SOCKET_PATH) {
      throw new Error(`the runtime folder ${options.rootDir} is too deep for unix socket paths (${probe} is over ${MAX_SOCKET_PATH} bytes): set CODEYARD_DATA to a shorter path`);
    }
    fs.mkdirSync(options.rootDir, { recursive: true, mode: 0o700 });
    this.#monitor = setInterval(() => void this.#checkProcesses(), 2000);
    this.#monitor.unref();
  }

  // ---- Runtime interface ----

  async checkStack(manifest: StackManifest): Promise<StackAvailability> {
    const cached = this.#availability.get(manifest.id);
    if (cached && Date.now() - cached.at < 60_000) return cached.result;
    const env = buildReplEnv({ replId: 'check', home: process.env.HOME ?? '/tmp', port: manifest.port });
    const result = await new Promise<StackAvailability>((resolve) => {
      execCallback(manifest.toolchain.check, { env, timeout: 10_000 }, (err, stdout, stderr) => {
        const tc = manifest.toolchain;
        if (err) return resolve({ available: false, reason: `${tc.name} was not found on this machine. ${tc.installHint}` });
        const version = findVersion(`${stdout}\n${stderr}`);
        if (tc.minVersion && (!version || compareVersions(version, tc.minVersion) < 0)) {
          return resolve({ available: false, version, reason: `${tc.name} ${version ?? '(unknown version)'} is older than the ${tc.minVersion} this stack needs. ${tc.installHint}` });
        }
        resolve({ available: true, version });
      });
    });
    this.#availability.set(manifest.id, { at: Date.now(), result });
    return result;
  }

  async create(spec: ReplSpec): Promise<void> {
    // Nothing to prepare ahead: the folder is made at start, from the store.
    this.#dirs(spec.id);
  }

  start(spec: ReplSpec): Promise<void> {
    return this.#serial(spec.id, () => this.#start(spec));
  }

  stop(id: string): Promise<void> {
    return this.#serial(id, () => this.#stop(id, true));
  }

  delete(id: string): Promise<void> {
    return this.#serial(id, async () => {
      await this.#stop(id, false);
      await fsp.rm(this.#dirs(id).base, { recursive: true, force: true });
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
    return this.#dirs(id).workspace;
  }

  active(): string[] {
    return [...this.#status].filter(([, s]) => s.state !== 'stopped').map(([id]) => id);
  }

  async recover(specFor: (id: string) => Promise<ReplSpec | undefined>): Promise<{ adopted: string[]; saved: string[] }> {
    const adopted: string[] = [];
    const saved: string[] = [];
    const ids = (await fsp.readdir(this.#opts.rootDir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name);
    for (const id of ids) {
      await this.#serial(id, async () => {
        const dirs = this.#dirs(id);
        const spec = await specFor(id);
        const pids = await readPids(dirs.pidsFile);
        const ours = (pid: number): boolean => !!pids && groupHasMarker(pid, `${INSTANCE_MARKER}=${pids.instance}`);
        if (spec && pids && ours(pids.agentPid) && ours(pids.codeServerPid) && (await this.#healthy(dirs))) {
          const env = buildReplEnv({ replId: id, home: dirs.home, port: spec.manifest.port });
          this.#live.set(id, { spec, dirs, env: { ...env, [INSTANCE_MARKER]: pids.instance }, ...pids, ideRestarts: [] });
          this.#specs.set(id, spec);
          this.#setStatus(id, { state: 'running' });
          adopted.push(id);
          return;
        }
        // Not whole any more: end what is left, keep the files.
        if (pids) for (const pid of [pids.agentPid, pids.codeServerPid]) if (ours(pid)) await terminateGroup(pid, 3000);
        await fsp.rm(dirs.pidsFile, { force: true });
        await fsp.rm(dirs.restoring, { recursive: true, force: true });
        if (spec) this.#specs.set(id, spec);
        if (!spec) {
          // The repl was deleted while its processes ran: nothing to keep.
          await fsp.rm(dirs.base, { recursive: true, force: true });
          return;
        }
        if (fs.existsSync(dirs.workspace)) {
          try {
            await this.#save(spec, dirs);
            saved.push(id);
          } catch (err) {
            this.#setStatus(id, { state: 'error', error: `could not save the files found after a restart (${describeError(err)}); they are kept on disk and saved at the next stop` });
          }
        }
      });
    }
    return { adopted, saved };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#monitor);
    await Promise.all([...this.#live.keys()].map((id) => this.stop(id).catch((err: unknown) => this.#opts.log.error({ replId: id, err: describeError(err) }, 'stop at shutdown failed'))));
  }

  /**
   * Stops watching without stopping any repl: the processes keep running and the next portal
   * adopts them. Used when the portal is restarted for an upgrade, and by recovery tests.
   */
  detach(): void {
    this.#closed = true;
    clearInterval(this.#monitor);
  }

  // ---- internals ----

  #dirs(id: string): ReplDirs {
    if (!/^[a-z0-9]+$/.test(id)) throw new AppError('BAD_REQUEST', `not a repl id: ${JSON.stringify(id)}`);
    const base = path.join(this.#opts.rootDir, id);
    const run = path.join(base, 'run');
    return {
      base,
      workspace: path.join(base, 'workspace'),
      restoring: path.join(base, 'workspace.restoring'),
      home: path.join(base, 'home'),
      state: path.join(base, 'state'),
      run,
      ideSocket: path.join(run, 'ide.sock'),
      agentSocket: path.join(run, 'agent.sock'),
      tunnelSocket: path.join(run, 'tunnel.sock'),
      pidsFile: path.join(run, 'pids.json'),
    };
  }

  #setStatus(id: string, status: Omit<RuntimeStatus, 'since'>): void {
    const full: RuntimeStatus = { ...status, since: new Date().toISOString() };
    this.#status.set(id, full);
    this.#events.emit('status', id, full);
  }

  /** Runs start/stop/delete of one repl one at a time, in call order. */
  #serial<T>(id: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    this.#queues.set(id, next);
    void next.finally(() => {
      if (this.#queues.get(id) === next) this.#queues.delete(id);
    }).catch(() => undefined);
    return next;
  }

  async #start(spec: ReplSpec): Promise<void> {
    if (this.#closed) throw new AppError('UNAVAILABLE', 'Codeyard is shutting down');
    if (this.#live.has(spec.id) && this.status(spec.id).state === 'running') return;
    const dirs = this.#dirs(spec.id);
    this.#specs.set(spec.id, spec);
    const step = (text: string): void => this.#setStatus(spec.id, { state: 'starting', step: text });
    let agentPid: number | undefined;
    let codeServerPid: number | undefined;
    try {
      step('restoring files');
      for (const dir of [dirs.base, dirs.home, dirs.state, dirs.run]) await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      // A workspace left on disk is newer than the store (its save failed or never ran).
      if (!fs.existsSync(dirs.workspace)) {
        await fsp.rm(dirs.restoring, { recursive: true, force: true });
        await fsp.mkdir(dirs.restoring, { recursive: true });
        await restoreWorkspace(this.#opts.store, spec.workspacePrefix, dirs.restoring);
        await fsp.rename(dirs.restoring, dirs.workspace);
      }
      step('preparing VS Code');
      const codeServer = await this.#opts.provisioner.ensure((message) => step(message));
      step('starting VS Code');
      const instance = randomBytes(8).toString('hex');
      const env = { ...buildReplEnv({ replId: spec.id, home: dirs.home, port: spec.manifest.port }), [INSTANCE_MARKER]: instance };
      const userDataDir = path.join(dirs.home, '.local', 'share', 'code-server');
      await writeUserSettings(userDataDir);
      const agentConfig = path.join(dirs.run, 'agent.json');
      await fsp.writeFile(
        agentConfig,
        JSON.stringify({
          replId: spec.id,
          workspace: dirs.workspace,
          controlSocket: dirs.agentSocket,
          tunnelSocket: dirs.tunnelSocket,
          stateDir: dirs.state,
          maxFileBytes: this.#opts.maxFileBytes,
          app: { run: spec.manifest.run, install: spec.manifest.install, installCreates: spec.manifest.installCreates },
        }),
      );
      agentPid = this.#spawn(process.execPath, [this.#opts.agentBundle, agentConfig], env, dirs, 'agent');
      codeServerPid = this.#spawnCodeServer(codeServer.command, codeServer.args, env, dirs);
      await this.#waitHealthy(dirs, [agentPid, codeServerPid]);
      const live: Live = { spec, dirs, instance, env, agentPid, codeServerPid, ideRestarts: [] };
      this.#live.set(spec.id, live);
      await this.#writePids(live);
      this.#setStatus(spec.id, { state: 'running' });
    } catch (err) {
      for (const pid of [agentPid, codeServerPid]) if (pid) await terminateGroup(pid, 2000);
      this.#live.delete(spec.id);
      const message = describeError(err);
      this.#opts.log.error({ replId: spec.id, err: message }, 'repl start failed');
      this.#setStatus(spec.id, { state: 'error', error: `could not start: ${message}` });
      throw err instanceof AppError ? err : new AppError('UNAVAILABLE', `the repl could not start: ${message}`);
    }
  }

  #spawnCodeServer(command: string, args: string[], env: NodeJS.ProcessEnv, dirs: ReplDirs): number {
    const userDataDir = path.join(dirs.home, '.local', 'share', 'code-server');
    const flags = codeServerArgs({
      socketPath: dirs.ideSocket,
      userDataDir,
      extensionsDir: path.join(userDataDir, 'extensions'),
      configFile: path.join(dirs.home, '.config', 'code-server', 'config.yaml'),
      workspace: dirs.workspace,
    });
    return this.#spawn(command, [...args, ...flags], env, dirs, 'code-server');
  }

  /** Starts a detached process group with its output appended to `state/<name>.log`. */
  #spawn(command: string, args: string[], env: NodeJS.ProcessEnv, dirs: ReplDirs, name: string): number {
    const logFile = path.join(dirs.state, `${name}.log`);
    const out = fs.openSync(logFile, 'a', 0o600);
    try {
      const child = spawn(command, args, { cwd: dirs.workspace, env, detached: true, stdio: ['ignore', out, out] });
      if (!child.pid) throw new Error(`could not start ${name} (${command})`);
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

  async #waitHealthy(dirs: ReplDirs, pids: number[]): Promise<void> {
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (await this.#healthy(dirs)) return;
      for (const pid of pids) {
        if (!groupExists(pid)) throw new Error(`a repl process exited during start; see ${dirs.state}/code-server.log and agent.log`);
      }
      await sleep(100);
    }
    throw new Error(`VS Code or the repl agent did not answer within ${HEALTH_TIMEOUT_MS / 1000}s; see ${dirs.state}/code-server.log`);
  }

  async #writePids(live: Live): Promise<void> {
    const pids: PidsFile = { agentPid: live.agentPid, codeServerPid: live.codeServerPid, instance: live.instance };
    await fsp.writeFile(live.dirs.pidsFile, JSON.stringify(pids));
  }

  async #stop(id: string, save: boolean): Promise<void> {
    const live = this.#live.get(id);
    const dirs = this.#dirs(id);
    if (live) {
      this.#setStatus(id, { state: 'stopping', step: 'stopping the app' });
      await new AgentClient({ kind: 'unix', socketPath: dirs.agentSocket }).stopApp().catch(() => undefined);
      this.#setStatus(id, { state: 'stopping', step: 'stopping VS Code' });
      await Promise.all([terminateGroup(live.agentPid), terminateGroup(live.codeServerPid)]);
      this.#live.delete(id);
      await fsp.rm(dirs.pidsFile, { force: true });
    }
    if (!save) return;
    if (!live && this.status(id).state !== 'error') return;
    const spec = live?.spec ?? this.#specs.get(id);
    if (spec && fs.existsSync(dirs.workspace)) {
      this.#setStatus(id, { state: 'stopping', step: 'saving files' });
      try {
        await this.#save(spec, dirs);
      } catch (err) {
        const message = `could not save files (${describeError(err)}); they are kept on disk and saved at the next stop`;
        this.#setStatus(id, { state: 'error', error: message });
        throw new AppError('UNAVAILABLE', message);
      }
    }
    this.#setStatus(id, { state: 'stopped' });
  }

  /** Copies the workspace to the store; only then removes the local copy. */
  async #save(spec: ReplSpec, dirs: ReplDirs): Promise<void> {
    const result = await saveWorkspace(this.#opts.store, dirs.workspace, spec.workspacePrefix);
    this.#opts.log.info({ replId: spec.id, ...result }, 'workspace saved');
    await fsp.rm(dirs.workspace, { recursive: true, force: true });
  }

  /** Restarts a crashed code-server or agent of a running repl; files are untouched on disk. */
  async #checkProcesses(): Promise<void> {
    if (this.#closed) return;
    for (const [id, live] of this.#live) {
      if (this.status(id).state !== 'running' || this.#queues.has(id)) continue;
      await this.#serial(id, async () => {
        if (this.#live.get(id) !== live || this.status(id).state !== 'running') return;
        if (!processExists(live.agentPid)) {
          this.#opts.log.warn({ replId: id }, 'repl agent exited; restarting it');
          live.agentPid = this.#spawn(process.execPath, [this.#opts.agentBundle, path.join(live.dirs.run, 'agent.json')], live.env, live.dirs, 'agent');
          await this.#writePids(live);
        }
        if (!processExists(live.codeServerPid)) {
          const now = Date.now();
          live.ideRestarts = live.ideRestarts.filter((t) => now - t < RESTART_WINDOW_MS);
          if (live.ideRestarts.length >= MAX_IDE_RESTARTS) {
            this.#setStatus(id, { state: 'error', error: `VS Code crashed ${MAX_IDE_RESTARTS} times in ${RESTART_WINDOW_MS / 60_000} minutes; see ${live.dirs.state}/code-server.log. Stop and start the repl to try again; your files are kept.` });
            return;
          }
          live.ideRestarts.push(now);
          this.#opts.log.warn({ replId: id }, 'code-server exited; restarting it');
          const codeServer = await this.#opts.provisioner.ensure();
          live.codeServerPid = this.#spawnCodeServer(codeServer.command, codeServer.args, live.env, live.dirs);
          await this.#writePids(live);
        }
      }).catch((err: unknown) => this.#opts.log.error({ replId: id, err: describeError(err) }, 'process check failed'));
    }
  }
}

async function readPids(file: string): Promise<PidsFile | undefined> {
  try {
    const pids = JSON.parse(await fsp.readFile(file, 'utf8')) as PidsFile;
    return Number.isInteger(pids.agentPid) && Number.isInteger(pids.codeServerPid) && typeof pids.instance === 'string' ? pids : undefined;
  } catch {
    return undefined;
  }
}
