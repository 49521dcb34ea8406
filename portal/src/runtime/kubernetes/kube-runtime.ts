import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ExecRequest, ExecResult } from '@codeyard/common/agent/protocol';
import { KeyedQueue } from '@codeyard/common/concurrency';
import { AppError, describeError } from '@codeyard/common/errors';
import type { ReplId } from '@codeyard/common/repl-id';
import { NetworkRelay, RelayCredentials } from '../../store/network-relay.js';
import type { WorkspaceStore } from '../../store/workspace-store.js';
import type { StackManifest } from '../../templates/manifest.js';
import { limitsFor } from '../process/options.js';
import { INSIDE } from '../process/sandbox.js';
import { PooledRuntime } from '../pooled-runtime.js';
import type { Endpoints, ReplSpec, Runtime, RuntimeDescription, RuntimeStatus, SandboxId, StackAvailability } from '../runtime.js';
import type { SandboxReading } from '../usage.js';
import { WarmPool } from '../warm-pool.js';
import { KubeApi } from './kube-api.js';
import { type KubeObjectOptions, podLimits } from './manifests.js';
import { newPodId, PodLauncher } from './pod-launch.js';
import { objectName } from './pod-layout.js';
import { type PodView, PodWatch, viewOf } from './pod-watch.js';

/** How long a stop waits for the agent's last save, before the pod is deleted (it saves again on SIGTERM). */
const FLUSH_TIMEOUT_MS = 10 * 60_000;
/**
 * A warm pod older than this that this portal does not hold is taken for a leftover at recovery.
 * Each portal replica keeps its own pool, so a younger one may be another replica's.
 */
const LEFT_WARM_MS = 30 * 60_000;
/**
 * A Secret or NetworkPolicy without its pod is a leftover only when older than this: a start on
 * another replica makes the policy, then the Secret, then the pod, and deleting a policy in between
 * would leave that pod running with no policy at all (every address open to it).
 */
const LEFT_SIDE_MS = 10 * 60_000;

export interface KubeRuntimeOptions {
  /** The cluster: in-cluster credentials or KUBECONFIG (`loadFromDefault`), or a test's API double. */
  kubeConfig: KubeConfig;
  /** The objects' settings; `relayUrl` empty means the relay's own address (tests on loopback). */
  objects: KubeObjectOptions;
  workspaces: WorkspaceStore;
  signingKey: Buffer;
  /** Where the portal serves the workspace relay for pods. */
  relayListen: { port: number; host?: string };
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  podRunningMs?: number;
  readyTimeoutMs?: number;
  watchIdleMs?: number;
}

interface WarmPod {
  id: SandboxId;
  stack: string;
}

/**
 * The `kubernetes` runtime: one pod per repl (manifests.ts), made and deleted through the API
 * (kube-api.ts), known through a watch of the namespace (pod-watch.ts). The pods' labels are the
 * truth: a repl's status follows its pod's, whichever portal replica started it, and a restarted
 * portal finds the running pods again by their labels. The portal reaches a pod through its
 * agent's gate (with the pod's secret) and the pod reaches its files through the portal's network
 * relay (with the repl's credential); a pod holds no store key.
 */
export class KubernetesRuntime extends PooledRuntime<WarmPod> implements Runtime {
  readonly name = 'kubernetes';
  /** The scheduler decides what fits: a pod no node has room for waits Pending (capacity-gate.ts). */
  readonly admission = 'scheduler' as const;
  readonly relay: NetworkRelay;
  readonly watcher: PodWatch;
  readonly #o: KubeRuntimeOptions;
  readonly api: KubeApi;
  readonly #launcher: PodLauncher;
  readonly #queues = new KeyedQueue();
  readonly #starting = new Map<ReplId, AbortController>();
  protected override readonly pool: WarmPool<WarmPod>;
  #closed = false;
  /** Ends warm pods' launches at close: one waits up to POD_RUNNING_MS for a pod to run. */
  readonly #closing = new AbortController();

  private constructor(options: KubeRuntimeOptions, relay: NetworkRelay, credentials: RelayCredentials) {
    super();
    this.#o = options;
    this.relay = relay;
    this.api = new KubeApi(options.kubeConfig, options.objects.namespace);
    this.watcher = new PodWatch({ api: this.api, config: options.kubeConfig, log: options.log, idleMs: options.watchIdleMs });
    const gateKey = createHmac('sha256', options.signingKey).update('codeyard pod gate v1').digest();
    this.#launcher = new PodLauncher({ api: this.api, watch: this.watcher, objects: options.objects, credentials, gateKey, podRunningMs: options.podRunningMs, readyTimeoutMs: options.readyTimeoutMs });
    this.watcher.on('change', (view) => this.#follow(view));
    this.watcher.on('gone', (view) => this.#follow(view, true));
    this.pool = new WarmPool<WarmPod>(
      {
        launch: async (manifest) => {
          const id = newPodId();
          try {
            await this.#launcher.launch(id, manifest, undefined, () => undefined, this.#closing.signal);
          } catch (err) {
            await this.api.deleteObjects(id, 0).catch(() => undefined);
            throw err;
          }
          return { id, stack: manifest.id };
        },
        discard: async (pod) => void (await this.api.deleteObjects(pod.id, 0)),
        alive: (pod) => {
          const view = this.watcher.get(objectName(pod.id));
          return !!view && !view.terminating && !view.problem;
        },
        canLaunch: async () => true,
        log: options.log,
      },
      {},
    );
  }

  /** Serves the relay, lists the pods there are, and watches from then on. */
  static async open(options: KubeRuntimeOptions): Promise<KubernetesRuntime> {
    const credentials = new RelayCredentials(options.signingKey);
    let runtime: KubernetesRuntime | undefined;
    const relay = new NetworkRelay({
      workspaces: options.workspaces,
      credentials,
      live: async (repl, sandbox) => {
        const name = objectName(sandbox);
        // Another replica may have made the pod a moment ago: its watch event may not be here yet.
        const view = runtime?.watcher.get(name) ?? viewOf((await runtime?.api.readPod(name)) ?? {});
        return !!view && view.repl === repl && !view.terminating;
      },
      quotaBytes: (repl) => runtime?.quotaOf(repl) ?? options.objects.limits.diskBytes,
    });
    await relay.listen(options.relayListen.port, options.relayListen.host);
    const objects = options.objects.relayUrl ? options.objects : { ...options.objects, relayUrl: `http://127.0.0.1:${(relay.server.address() as { port: number }).port}` };
    runtime = new KubernetesRuntime({ ...options, objects }, relay, credentials);
    try {
      await runtime.watcher.start();
    } catch (err) {
      await relay.close();
      throw err;
    }
    return runtime;
  }

  readonly #quotas = new Map<ReplId, number>();

  /** A repl's workspace quota: its stack's disk limit. */
  quotaOf(repl: ReplId): number {
    return this.#quotas.get(repl) ?? this.#o.objects.limits.diskBytes;
  }

  describe(): RuntimeDescription {
    const o = this.#o.objects;
    const byKubelet = (value: number): { enforced: true; value: number; mechanism: string } => ({ enforced: true, value, mechanism: 'pod resource limits (kubelet)' });
    return {
      driver: this.name,
      sandbox: `a pod per repl, restricted Pod Security${o.runtimeClassName ? `, RuntimeClass ${o.runtimeClassName}` : ''}`,
      network: 'NetworkPolicy: in from the proxy pods only; out DNS, the relay and the internet without private, link-local, metadata and cluster ranges',
      uidPerRepl: false,
      limits: {
        processes: { enforced: false, reason: "the node's pod pid limit (kubelet podPidsLimit) applies, not a per-repl one" },
        openFiles: { enforced: false, reason: "the container runtime's default applies" },
        memory: byKubelet(o.limits.memoryBytes),
        cpu: byKubelet(o.limits.cpus),
        disk: { enforced: true, value: o.limits.diskBytes, mechanism: 'emptyDir sizeLimit and ephemeral-storage limit (kubelet eviction)' },
      },
    };
  }

  /** Every stack has an image (images/ builds them all); the cluster says at start if one is missing. */
  async checkStack(): Promise<StackAvailability> {
    return { available: true, version: this.#o.objects.imageTag };
  }

  /** Keeps `size` pods of each stack started ahead; the cluster's load is the autoscaler's, not this machine's. */
  warmPool(stacks: readonly StackManifest[], size: number): void {
    this.pool.configure(stacks, size, { maxLoad: Number.POSITIVE_INFINITY });
  }

  /** A stopped repl keeps nothing here (emptyDirs): yes, unless its own memory limit is below a warm pod's, fixed when made. */
  warmFits(spec: ReplSpec): boolean {
    return podLimits(this.#o.objects, spec.manifest, spec.memoryLimitBytes).memoryBytes >= podLimits(this.#o.objects, spec.manifest).memoryBytes;
  }

  async create(spec: ReplSpec): Promise<void> {
    // Everything is made at start: a stopped repl has no object in the cluster.
    this.#quotas.set(spec.id, limitsFor({ ...this.#o.objects.limits, processes: 0, openFiles: 0 }, spec.manifest.limits).diskBytes);
  }

  start(spec: ReplSpec): Promise<void> {
    return this.#queues.run(spec.id, async () => {
      if (this.#closed) throw new AppError('UNAVAILABLE', 'Codeyard is shutting down');
      await this.create(spec);
      const current = this.#podOf(spec.id);
      if (current?.ready && this.status(spec.id).state === 'running') return;
      const abort = new AbortController();
      this.#starting.set(spec.id, abort);
      const step = (text: string): void => this.states.set(spec.id, { state: 'starting', step: text });
      let made: SandboxId | undefined;
      try {
        if (current) {
          // Its pod is there (another portal started it, or it restarts): wait for it to be ready.
          step('waiting for the pod');
          await this.#launcher.ready(await this.#launcher.running(current.sandboxId, step, abort.signal), step, abort.signal);
        } else {
          await this.#previousGone(spec.id, step);
          const warm = await this.#warmFor(spec);
          made = warm?.id ?? newPodId();
          if (warm) await this.#launcher.activate(warm.id, spec, step, abort.signal);
          else await this.#launcher.launch(made, spec.manifest, spec, step, abort.signal);
        }
        this.states.set(spec.id, { state: 'running' });
      } catch (err) {
        // Nothing of a start that failed keeps running (its files were never changed: the store has them).
        if (made) await this.api.deleteObjects(made, 0).catch(() => undefined);
        const message = describeError(err);
        this.#o.log.error({ replId: spec.id, err: message }, 'repl pod start failed');
        this.states.set(spec.id, { state: 'error', error: `could not start: ${message}` });
        throw err instanceof AppError ? err : new AppError('UNAVAILABLE', `the repl could not start: ${message}`);
      } finally {
        if (this.#starting.get(spec.id) === abort) this.#starting.delete(spec.id);
      }
    });
  }

  stop(id: ReplId): Promise<void> {
    this.#starting.get(id)?.abort();
    return this.#queues.run(id, () => this.#stop(id, true));
  }

  delete(id: ReplId): Promise<void> {
    this.#starting.get(id)?.abort();
    return this.#queues.run(id, async () => {
      await this.pool.releaseFor(id);
      await this.#stop(id, false);
      this.states.forget(id);
      this.#quotas.delete(id);
    });
  }

  async exec(id: ReplId, request: ExecRequest): Promise<ExecResult> {
    const view = this.#podOf(id);
    if (!view || this.status(id).state !== 'running') throw new AppError('NOT_RUNNING', 'the repl is not running; start it first');
    return this.#launcher.agent(view).exec(request);
  }

  workspacePath(): string {
    return INSIDE.workspace;
  }

  endpoints(id: ReplId): Endpoints | undefined {
    const view = this.#podOf(id);
    if (!view?.ip || this.status(id).state !== 'running') return undefined;
    return {
      ide: this.#launcher.target(view, { to: 'ide' }),
      agent: this.#launcher.target(view, { to: 'control' }),
      port: (port) => this.#launcher.target(view, { to: 'port', port }),
    };
  }

  /**
   * Finds what an earlier portal left: repl pods are followed again by their labels (their status
   * comes from the watch, as for any pod); pods of deleted repls, warm pods left for over half an
   * hour (younger ones may be another replica's pool) and Secrets or NetworkPolicies left without
   * their pod for over ten minutes (a younger one may be a start under way) are deleted.
   */
  async recover(specFor: (id: ReplId) => Promise<ReplSpec | undefined>): Promise<{ adopted: ReplId[]; saved: ReplId[] }> {
    const adopted: ReplId[] = [];
    const held = new Set(this.pool.held().map((p) => p.id));
    for (const view of this.watcher.all()) {
      if (view.terminating) continue;
      const spec = view.repl ? await specFor(view.repl) : undefined;
      if (spec) {
        await this.create(spec);
        adopted.push(spec.id);
      } else if (!held.has(view.sandboxId) && (!view.warm || Date.now() - (view.createdAt ?? 0) > LEFT_WARM_MS)) {
        await this.api.deleteObjects(view.sandboxId, 0).catch((err: unknown) => this.#o.log.warn({ pod: view.name, err: describeError(err) }, 'could not delete a pod nobody uses'));
      }
    }
    const side = await this.api.listSideObjects(LEFT_SIDE_MS);
    // Listed after the side objects: a pod made since counts as theirs.
    const pods = new Set(this.watcher.all().map((v) => v.name));
    for (const name of new Set([...side.secrets, ...side.networkPolicies])) {
      if (pods.has(name)) continue;
      await this.api.deleteSideObjects(name, { secret: side.secrets.includes(name), networkPolicy: side.networkPolicies.includes(name) }).catch(() => undefined);
    }
    return { adopted, saved: [] };
  }

  /**
   * Stops watching and serving the relay. Repl pods stay: they belong to the cluster, run while
   * this portal is replaced, and the next one follows them again. Warm pods this one made end.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const abort of this.#starting.values()) abort.abort();
    this.#closing.abort();
    await this.pool.close();
    this.watcher.stop();
    await this.relay.close();
  }

  // ---- usage: not read here yet (it would come from the metrics API); the admin view shows none ----

  protected readRepl(): SandboxReading | undefined {
    return undefined;
  }

  protected readSandbox(): SandboxReading | undefined {
    return undefined;
  }

  protected stackOf(pod: WarmPod): string {
    return pod.stack;
  }

  // ---- internals ----

  /**
   * Waits for a pod of the repl that is ending (stopped from another portal, say) to be gone: it
   * is still saving the files the new pod would restore.
   */
  async #previousGone(id: ReplId, step: (text: string) => void): Promise<void> {
    const deadline = Date.now() + (this.#o.objects.terminationGraceSeconds + 30) * 1000;
    const ending = (): boolean => this.watcher.all().some((v) => v.repl === id && v.terminating);
    if (ending()) step('waiting for the previous pod to save its files');
    while (ending() && Date.now() < deadline) await sleep(100);
  }

  /**
   * The warm pod bound to the repl, if it can be the repl's: a pod's resources are fixed when it
   * is made, so a repl with a lower memory limit of its own gets a pod of its own and the warm one ends.
   */
  async #warmFor(spec: ReplSpec): Promise<WarmPod | undefined> {
    const warm = this.pool.claim(spec.id);
    if (!warm || this.warmFits(spec)) return warm;
    await this.api.deleteObjects(warm.id, 0).catch(() => undefined);
    return undefined;
  }

  /** The live (not ending) pod of a repl, by its labels. */
  #podOf(id: ReplId): PodView | undefined {
    return this.watcher.all().find((v) => v.repl === id && !v.terminating);
  }

  /**
   * A repl's status follows its pod while no start or stop of this portal is under way: running
   * when ready, starting while it comes up, stopping while it ends, stopped once gone.
   */
  #follow(view: PodView, gone = false): void {
    const id = view.repl;
    if (!id) return;
    if (gone) this.relay.forget(id);
    if (this.#queues.has(id)) return;
    if (this.#podOf(id) && (gone || view.terminating)) return;
    const next: Omit<RuntimeStatus, 'since'> = gone
      ? { state: 'stopped' }
      : view.terminating
        ? { state: 'stopping', step: 'saving files' }
        : view.problem
          ? { state: 'error', error: `the pod cannot run: ${view.problem}` }
          : view.ready
            ? { state: 'running' }
            : { state: 'starting', step: view.waiting ?? `the pod is ${view.phase.toLowerCase()}` };
    const now = this.status(id);
    if (now.state === next.state && now.step === next.step && now.error === next.error) return;
    // A repl never seen here has nothing to tell when its pod goes.
    if (gone && now.state === 'stopped') return;
    this.states.set(id, next);
  }

  /**
   * Stops a repl's pod. With `save`: the app and every process end, the agent saves the quiet
   * workspace, then the pod is deleted (its agent saves once more on SIGTERM, within the grace
   * period). A save that fails keeps the pod: its files are only there, the repl says unsaved.
   */
  async #stop(id: ReplId, save: boolean): Promise<void> {
    const view = this.#podOf(id);
    if (!view) {
      if (this.status(id).state !== 'stopped') this.states.set(id, { state: 'stopped' });
      return;
    }
    if (save && view.ip) {
      const agent = this.#launcher.agent(view);
      this.states.set(id, { state: 'stopping', step: 'stopping the app and every process' });
      await agent.quiesce().catch(() => undefined);
      this.states.set(id, { state: 'stopping', step: 'saving files' });
      const status = await agent.flushSync(FLUSH_TIMEOUT_MS).catch((err: unknown) => ({ state: 'degraded' as const, reason: describeError(err), pending: 1 }));
      if (status.state !== 'synced' || status.pending) {
        const message = `could not save files (${'reason' in status && status.reason ? status.reason : status.state}); the pod is kept with them, and the next stop tries again`;
        this.states.set(id, { state: 'error', error: message, unsaved: true });
        throw new AppError('UNAVAILABLE', message);
      }
    }
    this.states.set(id, { state: 'stopping', step: 'stopping the pod' });
    const there = await this.api.deleteObjects(view.sandboxId, save ? this.#o.objects.terminationGraceSeconds : 0);
    // Gone once the watch says so (the kubelet ends it within the grace period); a 404 says so already.
    const deadline = Date.now() + (this.#o.objects.terminationGraceSeconds + 30) * 1000;
    while (there && this.watcher.get(view.name) && Date.now() < deadline) await sleep(100);
    this.relay.forget(id);
    this.states.set(id, { state: 'stopped' });
  }
}
