import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentClient } from '@codeyard/common/agent/client';
import type { GateTarget } from '@codeyard/common/agent/gate';
import type { Target } from '@codeyard/common/agent/protocol';
import { AppError } from '@codeyard/common/errors';
import type { ReplId } from '@codeyard/common/repl-id';
import type { RelayCredentials } from '../../store/network-relay.js';
import type { StackManifest } from '../../templates/manifest.js';
import { cancelled, waitReady } from '../readiness.js';
import type { ReplSpec, SandboxId } from '../runtime.js';
import type { KubeApi } from './kube-api.js';
import { type KubeObjectOptions, podAgentConfig, replObjects, type ReplPodRequest } from './manifests.js';
import { LABELS, labelValue, objectName, POD_LAYOUT } from './pod-layout.js';
import type { PodView, PodWatch } from './pod-watch.js';

/** How long a pod may take to be running: scheduling (a new node from the autoscaler), the image pull. */
export const POD_RUNNING_MS = 5 * 60_000;

export interface LaunchDeps {
  api: KubeApi;
  watch: PodWatch;
  objects: KubeObjectOptions;
  credentials: RelayCredentials;
  /** Keyed from the portal's signing key: every replica knows every pod's gate secret. */
  gateKey: Buffer;
  podRunningMs?: number;
  readyTimeoutMs?: number;
}

/** A new pod id: 12 hex characters (never a repl id's shape). */
export function newPodId(): SandboxId {
  return randomBytes(6).toString('hex');
}

/**
 * Starting pods and reaching them: the one sequence behind a cold start and a warm pod (objects
 * made, the pod scheduled and running, the agent ready through its gate), a warm pod becoming a
 * repl's, and the gate targets of a pod. The runtime (kube-runtime.ts) keeps the states.
 */
export class PodLauncher {
  readonly #d: LaunchDeps;

  constructor(deps: LaunchDeps) {
    this.#d = deps;
  }

  gateSecret(sandboxId: SandboxId): string {
    return createHmac('sha256', this.#d.gateKey).update(`gate\n${sandboxId}`).digest('hex');
  }

  /** Where a part of a pod answers: its gate, with its secret and the destination. */
  target(view: Pick<PodView, 'ip' | 'sandboxId' | 'repl' | 'name'>, to: GateTarget): Target {
    // Named after the repl as `/<id>/`, as its socket paths are: the proxy drops its connections by that.
    const name = view.repl ? `repl /${view.repl}/ pod ${view.name}` : `pod ${view.name}`;
    return { kind: 'gate', host: view.ip ?? '0.0.0.0', port: POD_LAYOUT.gatePort, secret: this.gateSecret(view.sandboxId), to, name };
  }

  agent(view: Pick<PodView, 'ip' | 'sandboxId' | 'repl' | 'name'>): AgentClient {
    return new AgentClient(this.target(view, { to: 'control' }));
  }

  #request(sandboxId: SandboxId, manifest: StackManifest, spec?: ReplSpec): ReplPodRequest {
    return {
      sandboxId,
      manifest,
      repl: spec && { id: spec.id, owner: spec.owner, info: spec.info, ...(spec.memoryLimitBytes !== undefined ? { memoryLimitBytes: spec.memoryLimitBytes } : {}) },
      gateSecret: this.gateSecret(sandboxId),
      relayToken: spec && this.#d.credentials.issue(spec.id, sandboxId),
    };
  }

  /** Creates a pod (a repl's, or a warm one without `spec`) and waits until its agent is ready. */
  async launch(sandboxId: SandboxId, manifest: StackManifest, spec: ReplSpec | undefined, step: (text: string) => void, signal?: AbortSignal): Promise<PodView> {
    step('creating the pod');
    await this.#d.api.createObjects(replObjects(this.#request(sandboxId, manifest, spec), this.#d.objects));
    const view = await this.running(sandboxId, step, signal);
    step('starting VS Code');
    await this.ready(view, step, signal);
    return view;
  }

  /** Waits (on the watch) for the pod to run with an address; fails at once when it cannot run. */
  async running(sandboxId: SandboxId, step: (text: string) => void, signal?: AbortSignal): Promise<PodView> {
    const name = objectName(sandboxId);
    const deadline = Date.now() + (this.#d.podRunningMs ?? POD_RUNNING_MS);
    let shown = '';
    while (Date.now() < deadline) {
      if (signal?.aborted) await cancelled(signal);
      const view = this.#d.watch.get(name);
      if (view?.problem) throw new AppError('UNAVAILABLE', `the pod ${name} cannot run: ${view.problem}`);
      if (view?.terminating) throw new AppError('CONFLICT', `the pod ${name} is being deleted`);
      if (view?.phase === 'Running' && view.ip) return view;
      const now = view?.waiting ?? `waiting for the pod (${view?.phase.toLowerCase() ?? 'not seen yet'})`;
      if (now !== shown) step((shown = now));
      await sleep(100);
    }
    throw new AppError('TIMEOUT', `the pod ${name} was not running within ${Math.round((this.#d.podRunningMs ?? POD_RUNNING_MS) / 1000)}s; see kubectl describe pod ${name} -n ${this.#d.api.namespace}`);
  }

  /** Waits for the agent and VS Code to answer through the gate (restore progress shown as it moves). */
  ready(view: PodView, step: (text: string) => void, signal?: AbortSignal): Promise<void> {
    const agent = this.agent(view);
    return waitReady(
      {
        healthy: async () => {
          const health = await agent.call('health', undefined).catch(() => undefined);
          const sync = health?.sync;
          // Up means: the agent answers, VS Code runs, and a repl's files are restored.
          return !!health && (health.ide === undefined || (health.ide as { state?: string }).state !== 'stopped') && (!sync || !['starting', 'restoring'].includes(sync.state));
        },
        ended: () => {
          const now = this.#d.watch.get(view.name);
          if (!now) return `the pod ${view.name} is gone`;
          return now.problem ? `the pod ${view.name} cannot run: ${now.problem}` : undefined;
        },
        sync: () => agent.sync().catch(() => undefined),
        logs: `kubectl logs ${view.name} -n ${this.#d.api.namespace}`,
      },
      { step, signal, timeoutMs: this.#d.readyTimeoutMs },
    );
  }

  /**
   * Makes a warm pod the pod of `spec`: its labels say the repl's (the relay and other portals go
   * by them), its Secret holds the repl's config (a container restart comes back as the repl
   * once the kubelet has the new Secret), and its agent gets the repl's relay credential and
   * restores the files.
   */
  async activate(sandboxId: SandboxId, spec: ReplSpec, step: (text: string) => void, signal?: AbortSignal): Promise<PodView> {
    const view = this.#d.watch.get(objectName(sandboxId));
    if (!view?.ip || view.terminating) throw new AppError('UNAVAILABLE', `the warm pod ${objectName(sandboxId)} is gone`);
    const request = this.#request(sandboxId, spec.manifest, spec);
    const labels = { [LABELS.repl]: spec.id, [LABELS.owner]: labelValue(spec.owner) ?? null, [LABELS.warm]: null };
    await this.#d.api.relabel(sandboxId, labels, { [POD_LAYOUT.configKey]: Buffer.from(podAgentConfig(request, this.#d.objects)).toString('base64') });
    // The relay opens to the credential once the watch shows the pod as the repl's.
    for (let i = 0; i < 100 && this.#d.watch.get(view.name)?.repl !== spec.id; i++) await sleep(50);
    step('restoring files');
    const info = spec.info ?? { name: '', stack: spec.manifest.id, port: spec.manifest.port, previewUrl: '' };
    const sync = { url: this.#d.objects.relayUrl, token: request.relayToken!, ...this.#d.objects.sync };
    await Promise.race([this.agent(view).activate({ replId: spec.id as ReplId, sync, info }), cancelled(signal)]);
    await this.ready(view, step, signal);
    return this.#d.watch.get(view.name) ?? view;
  }
}
