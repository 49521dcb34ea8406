import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { AppError } from '@codeyard/common/errors';
import { requestOverSocket } from '@codeyard/common/http-client';
import { groupExists, terminateGroup } from '@codeyard/common/process-group';
import { createWorkspaceRelay, listenRelay } from '../../store/workspace-relay.js';
import type { StackManifest } from '../../templates/manifest.js';
import { AgentClient } from '@codeyard/common/agent/client';
import { agentSyncConfig, buildAgentConfig } from '../agent-config.js';
import { cancelled, type ReadinessProbe, waitReady } from '../readiness.js';
import type { ReplSpec, SandboxId } from '../runtime.js';
import { readCgroupUsage } from './cgroup-usage.js';
import { createReplCgroups, lowerMemoryLimit, removeReplCgroups } from './cgroups.js';
import type { EgressService } from './egress-proxy.js';
import type { HostCapabilities } from './host-capabilities.js';
import { hostSocketFds } from './host-sockets.js';
import { limitsFor, type ProcessRuntimeOptions, type ReplLimits } from './options.js';
import { preparePrivate, type ReplDirs, removeReplFolders, writePids } from './repl-folders.js';
import { INSIDE, writeIdentityFiles } from './sandbox.js';
import type { ProcessSandbox, SandboxSpawner } from './sandbox-spawn.js';
import type { UidAllocator } from './uid-allocator.js';
import { mountVolume, remountVolume, volumeFree, volumeNeeds, type VolumeNeeds } from './workspace-volume.js';

/** A warm sandbox using more than this share of a repl's lower memory limit is not lowered to it (see fitWarm). */
const WARM_SHARE = 0.75;

/** Longest a stop (or a warm sandbox's activation) waits for the agent's sync before it gives up. */
export const FLUSH_TIMEOUT_MS = 10 * 60_000;

/**
 * What a launch makes: `repl`, a repl's sandbox (restore, IDE, agent, ready when it answers);
 * `warm`, a sandbox of a stack for no repl yet (IDE up on an empty workspace, no sync); `save`,
 * a one-off agent that saves a workspace left on disk and exits.
 */
export type LaunchKind = 'repl' | 'warm' | 'save';

export type LaunchRequest = {
  sandboxId: SandboxId;
  dirs: ReplDirs;
  /** Progress for displays. */
  step?: (text: string) => void;
  /** A stop of the repl cuts the start short. */
  signal?: AbortSignal;
  /** Called while the agent restores: a start cut short then left a partial copy. */
  restoring?: () => void;
} & ({ kind: 'warm'; manifest: StackManifest } | { kind: 'repl' | 'save'; spec: ReplSpec });

/** A new sandbox id: 12 lowercase hex characters (never a repl id's shape: it may start with a digit). */
export function newSandboxId(): SandboxId {
  return randomBytes(6).toString('hex');
}

/**
 * Launches the process runtime's sandboxes: the one sequence of steps behind a repl's start, a
 * warm sandbox and an offline save (folders, uid, volumes, code-server, the agent's config, the
 * relay, cgroups, the agent process, readiness), and their end.
 */
export class SandboxLauncher {
  readonly #opts: ProcessRuntimeOptions;
  readonly #caps: HostCapabilities;
  readonly #uids: UidAllocator;
  readonly #spawner: SandboxSpawner;
  readonly #egress: EgressService | undefined;
  readonly #sandboxProblem: () => Promise<string | undefined>;

  constructor(deps: { opts: ProcessRuntimeOptions; caps: HostCapabilities; uids: UidAllocator; spawner: SandboxSpawner; egress?: EgressService; sandboxProblem: () => Promise<string | undefined> }) {
    this.#opts = deps.opts;
    this.#caps = deps.caps;
    this.#uids = deps.uids;
    this.#spawner = deps.spawner;
    this.#egress = deps.egress;
    this.#sandboxProblem = deps.sandboxProblem;
  }

  /** The one launch. On failure nothing of it runs any more (a warm sandbox's folder goes too). */
  async launch(request: LaunchRequest): Promise<ProcessSandbox> {
    const { kind, dirs } = request;
    const spec = request.kind === 'warm' ? undefined : request.spec;
    const manifest = request.kind === 'warm' ? request.manifest : request.spec.manifest;
    const step = request.step ?? ((): void => undefined);
    const sandbox: ProcessSandbox = { id: request.sandboxId, manifest, spec, dirs, instance: randomBytes(8).toString('hex'), env: {}, cgroupProcs: [], agentPid: 0, restarts: [] };
    try {
      const problem = await this.#sandboxProblem();
      if (problem) throw new AppError('UNAVAILABLE', problem);
      step('preparing the workspace');
      sandbox.uid = this.#caps.switchesUid ? await this.#uids.uidFor(dirs) : undefined;
      await this.prepareFolders(dirs, sandbox.uid);
      await this.#ensureWorkspace(dirs, sandbox.uid, await this.volumeNeeds(manifest, spec));
      step('preparing VS Code');
      const codeServer = await this.#spawner.ensureCodeServer(step);
      if (kind !== 'save') sandbox.builtinExtensions = await this.#spawner.prepareIdeExtensions(codeServer, manifest);
      step('starting VS Code');
      sandbox.env = this.#spawner.replEnv(spec?.id, dirs, manifest.port, sandbox.instance);
      const config = await this.writeAgentConfig(sandbox, kind);
      if (spec) sandbox.relay = await this.#openRelay(spec, dirs, sandbox.uid);
      if (kind !== 'save') sandbox.cgroupProcs = createReplCgroups(this.#caps.cgroups, sandbox.id, this.limits(manifest, spec));
      sandbox.agentPid = await this.#spawner.spawnAgent(sandbox, this.limits(manifest, spec), kind === 'save' ? ['--sync-once'] : [], config);
      if (kind !== 'save') await waitReady(this.#probe(sandbox), { step, signal: request.signal, restoring: request.restoring });
      // Recorded (warm ones too), so that a later portal finds it if this one dies.
      if (kind !== 'save') await this.#record(sandbox);
      return sandbox;
    } catch (err) {
      await this.end(sandbox, 2000);
      if (kind === 'warm') await removeReplFolders(dirs);
      throw err;
    }
  }

  /**
   * Makes a warm sandbox (its folder already the repl's) the sandbox of `spec`: its relay opens,
   * its config becomes a plain repl's, and its agent learns its repl and restores the files.
   */
  async activate(sandbox: ProcessSandbox, spec: ReplSpec, signal?: AbortSignal): Promise<void> {
    sandbox.spec = spec;
    sandbox.relay = await this.#openRelay(spec, sandbox.dirs, sandbox.uid);
    // Its config on disk becomes a plain repl's: a sandbox restart must not come back pooled,
    // and comes back with the repl's own id in its environment.
    await this.writeAgentConfig(sandbox, 'repl');
    sandbox.env = this.#spawner.replEnv(spec.id, sandbox.dirs, spec.manifest.port, sandbox.instance);
    const info = spec.info ?? { name: '', stack: spec.manifest.id, port: spec.manifest.port, previewUrl: '' };
    const sync = agentSyncConfig(this.#spawner.view(sandbox.dirs), this.#opts.sync);
    const activation = new AgentClient({ kind: 'unix', socketPath: sandbox.dirs.agentSocket }).activate({ replId: spec.id, sync, info }, FLUSH_TIMEOUT_MS);
    await Promise.race([activation, cancelled(signal)]);
  }

  /**
   * Starts a running repl's sandbox again (it ended on its own); files and folders are as they
   * were. Answers once its agent and VS Code answer (throws when they do not in time).
   */
  async respawn(sandbox: ProcessSandbox): Promise<void> {
    sandbox.agentPid = await this.#spawner.spawnAgent(sandbox, this.limits(sandbox.manifest, sandbox.spec));
    await this.#record(sandbox);
    await waitReady(this.#probe(sandbox));
  }

  #record(sandbox: ProcessSandbox): Promise<void> {
    return writePids(sandbox.dirs, { agentPid: sandbox.agentPid, instance: sandbox.instance, sandbox: sandbox.id });
  }

  /** Ends the sandbox's processes (TERM, then KILL after `graceMs`), its relay and its cgroups. */
  async end(sandbox: ProcessSandbox, graceMs?: number): Promise<void> {
    if (sandbox.agentPid) await terminateGroup(sandbox.agentPid, graceMs);
    await closeRelay(sandbox.relay);
    removeReplCgroups(this.#caps.cgroups, sandbox.id);
  }

  /** Ends a sandbox that never became (or stays) a running repl, and removes its folder. */
  async discard(sandbox: ProcessSandbox): Promise<void> {
    await this.end(sandbox, 2000);
    await removeReplFolders(sandbox.dirs);
  }

  /** Do the sandbox's agent and code-server answer on their host sockets? */
  async healthy(dirs: ReplDirs): Promise<boolean> {
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

  /** A repl's limits: the runtime's, with its stack's own on top, and the repl's own memory limit when lower. */
  limits(manifest: StackManifest, spec?: ReplSpec): ReplLimits {
    return limitsFor(this.#opts.sandbox.limits, manifest.limits, spec?.memoryLimitBytes);
  }

  /**
   * Fits a warm sandbox (started with the stack's limits) to the repl `spec` it is about to
   * become: a repl with a lower memory limit of its own gets it on the sandbox's cgroup, live.
   * False when the sandbox already uses more than WARM_SHARE of that limit, or the kernel refuses:
   * lowered, it would have to reclaim or OOM-kill at once, so the repl starts cold instead.
   */
  fitWarm(sandbox: ProcessSandbox, spec: ReplSpec): boolean {
    const own = this.limits(sandbox.manifest, spec).memoryBytes;
    if (own >= this.limits(sandbox.manifest).memoryBytes || !this.#caps.cgroups.memory) return true;
    const used = readCgroupUsage(this.#caps.cgroups, sandbox.id)?.memoryBytes ?? 0;
    return used <= own * WARM_SHARE && lowerMemoryLimit(this.#caps.cgroups, sandbox.id, own);
  }

  /** What a workspace volume must hold: the quota, or more when the stored files take more blocks. */
  async volumeNeeds(manifest: StackManifest, spec: ReplSpec | undefined): Promise<VolumeNeeds> {
    const quota = this.limits(manifest).diskBytes;
    // A warm sandbox has no workspace yet: its volume is sized for the quota.
    if (!spec?.workspacePrefix) return volumeNeeds(quota);
    return volumeNeeds(quota, Object.values((await this.#opts.workspaces.manifest(spec.workspacePrefix)).entries));
  }

  /** Can the mounted workspace volume at `mountpoint` take `needs` (a warm one is sized for the quota alone)? */
  async holds(mountpoint: string, needs: VolumeNeeds): Promise<boolean> {
    if (this.#caps.volumeProblem) return true;
    const free = await volumeFree(mountpoint).catch(() => undefined);
    return !!free && free.bytes >= needs.bytes && free.inodes >= needs.inodes / 2;
  }

  /** Folders a sandbox needs, owned by its uid where it may write. */
  async prepareFolders(dirs: ReplDirs, uid: number | undefined, options: { emptyWorkspace?: boolean } = {}): Promise<void> {
    await this.#caps.probeVolumes();
    // Every sandbox binds the egress proxy's folder: it must be there first.
    await this.#egress?.ready;
    // Home and the sandbox's own folders get a quota like the workspace's.
    // The toolchain check runs no user code and keeps nothing: plain folders, no volume to mount.
    await preparePrivate(dirs, { volumes: !this.#caps.volumeProblem && path.basename(dirs.base) !== 'check', sizeBytes: this.#opts.sandbox.limits.diskBytes });
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

  /** The agent's configuration file in the sandbox's run folder (created fresh: never written through a link); answers its inside path. */
  async writeAgentConfig(sandbox: ProcessSandbox, kind: LaunchKind): Promise<string> {
    const view = this.#spawner.view(sandbox.dirs);
    const file = path.join(sandbox.dirs.run, kind === 'save' ? 'agent-sync.json' : 'agent.json');
    const config = buildAgentConfig({
      replId: sandbox.spec?.id ?? sandbox.id,
      manifest: sandbox.manifest,
      info: sandbox.spec?.info,
      paths: view,
      sync: this.#opts.sync,
      maxFileBytes: this.#opts.maxFileBytes,
      ownPidNamespace: this.#opts.sandbox.mode === 'bubblewrap',
      listenFds: kind === 'save' ? undefined : hostSocketFds(),
      pooled: kind === 'warm',
      egress: this.#egress ? { socket: `${INSIDE.egress}/egress.sock`, port: INSIDE.egressPort } : undefined,
      ide: kind === 'save' ? undefined : { argv: this.#spawner.codeServerArgv(view, sandbox.builtinExtensions), ...this.#spawner.ideTuning() },
    });
    await fsp.rm(file, { force: true });
    await fsp.writeFile(file, JSON.stringify(config), { flag: 'wx', mode: 0o644 });
    return `${view.run}/${path.basename(file)}`;
  }

  /** The workspace folder: its own volume when quotas are on (kept across restarts), owned by the repl. */
  async #ensureWorkspace(dirs: ReplDirs, uid: number | undefined, needs: VolumeNeeds): Promise<void> {
    if (!this.#caps.volumeProblem) {
      if (!(await remountVolume(dirs.volume, dirs.workspace))) await mountVolume(dirs.volume, dirs.workspace, needs);
    } else {
      await fsp.mkdir(dirs.workspace, { recursive: true });
    }
    if (uid !== undefined) await fsp.chown(dirs.workspace, uid, uid);
  }

  /**
   * The repl's workspace relay, on a socket in a root-owned folder of its own that the sandbox
   * sees read-only: only this repl's uid may connect, and it reaches only this repl's workspace.
   */
  async #openRelay(spec: ReplSpec, dirs: ReplDirs, uid: number | undefined): Promise<http.Server> {
    await fsp.mkdir(dirs.storeDir, { recursive: true, mode: 0o755 });
    const server = createWorkspaceRelay({ workspaces: this.#opts.workspaces, prefix: spec.workspacePrefix, quotaBytes: this.limits(spec.manifest).diskBytes });
    await listenRelay(server, dirs.storeSocket, uid);
    return server;
  }

  /** Opens the relay of a sandbox found running (recovery). */
  async reopenRelay(sandbox: ProcessSandbox): Promise<void> {
    if (sandbox.spec) sandbox.relay = await this.#openRelay(sandbox.spec, sandbox.dirs, sandbox.uid);
  }

  #probe(sandbox: ProcessSandbox): ReadinessProbe {
    const { dirs } = sandbox;
    return {
      healthy: () => this.healthy(dirs),
      ended: () => (groupExists(sandbox.agentPid) ? undefined : `a repl process exited during start; see ${dirs.state}/code-server.log and agent.log`),
      sync: () => new AgentClient({ kind: 'unix', socketPath: dirs.agentSocket }).sync().catch(() => undefined),
      logs: `${dirs.state}/code-server.log`,
    };
  }
}

/** Closes a workspace relay and every connection to it. */
export function closeRelay(relay: http.Server | undefined): Promise<void> {
  if (!relay?.listening) return Promise.resolve();
  return new Promise((resolve) => {
    relay.close(() => resolve());
    relay.closeAllConnections();
  });
}
