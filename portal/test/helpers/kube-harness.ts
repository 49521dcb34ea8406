import { randomBytes } from 'node:crypto';
import { newReplId } from '@codeyard/common/repl-id';
import { loadConfig } from '../../src/config.js';
import { kubeObjectOptions } from '../../src/runtime/kubernetes/kube-options.js';
import { type KubeRuntimeOptions, KubernetesRuntime } from '../../src/runtime/kubernetes/kube-runtime.js';
import type { ReplSpec } from '../../src/runtime/runtime.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { WorkspaceStore } from '../../src/store/workspace-store.js';
import type { StackManifest } from '../../src/templates/manifest.js';
import { FakePodAgents } from './fake-pod-agent.js';
import { KubeApiDouble } from './kube-api-double.js';

export const NAMESPACE = 'codeyard-repls';

export const manifest: StackManifest = {
  id: 'node',
  name: 'Node.js',
  description: 'a stack for the API double',
  icon: 'icon.svg',
  main: 'index.js',
  run: 'node index.js',
  port: 3000,
  toolchain: { name: 'node', check: 'node --version', installHint: 'install Node.js' },
};

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The kubernetes runtime on the API double, with fake pod agents and an in-memory store. */
export interface KubeHarness {
  double: KubeApiDouble;
  agents: FakePodAgents;
  workspaces: WorkspaceStore;
  signingKey: Buffer;
  runtime: KubernetesRuntime;
  /** A repl whose workspace holds `index.js` (so a restore has something to bring). */
  newSpec(): Promise<ReplSpec>;
  /** Another portal on the same cluster, store and key (a restart, or a second replica). */
  openRuntime(extra?: Partial<KubeRuntimeOptions>): Promise<KubernetesRuntime>;
  close(): Promise<void>;
}

export async function kubeHarness(extra: Partial<KubeRuntimeOptions> = {}, store: ObjectStore = new MemoryStore()): Promise<KubeHarness> {
  const double = new KubeApiDouble();
  await double.start();
  const agents = new FakePodAgents(double);
  const workspaces = new WorkspaceStore(store);
  const signingKey = randomBytes(32);
  const opened: KubernetesRuntime[] = [];
  const openRuntime = async (more: Partial<KubeRuntimeOptions> = {}): Promise<KubernetesRuntime> => {
    const runtime = await KubernetesRuntime.open({
      kubeConfig: double.kubeConfig(),
      objects: { ...kubeObjectOptions(loadConfig({ CODEYARD_KUBE_NAMESPACE: NAMESPACE, CODEYARD_KUBE_GRACE_SECONDS: '10' })), relayUrl: '' },
      workspaces,
      signingKey,
      relayListen: { port: 0, host: '127.0.0.1' },
      log: quiet,
      podRunningMs: 10_000,
      readyTimeoutMs: 10_000,
      ...extra,
      ...more,
    });
    opened.push(runtime);
    return runtime;
  };
  const runtime = await openRuntime();
  return {
    double,
    agents,
    workspaces,
    signingKey,
    runtime,
    openRuntime,
    async newSpec() {
      const id = newReplId();
      const prefix = `workspaces/${id}/`;
      await workspaces.create(prefix, [{ path: 'index.js', type: 'file', body: Buffer.from(`console.log('repl ${id}')\n`) }], 1 << 30);
      return { id, manifest, workspacePrefix: prefix, owner: 'u0123456789abcdef0123', info: { name: 'demo', stack: 'node', port: 3000, previewUrl: '' } };
    },
    async close() {
      for (const r of opened) await r.close().catch(() => undefined);
      await agents.close();
      await double.close();
    },
  };
}
