import { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../../config.js';
import type { WorkspaceStore } from '../../store/workspace-store.js';
import { kubeObjectOptions } from './kube-options.js';
import { type KubeRuntimeOptions, KubernetesRuntime } from './kube-runtime.js';

/**
 * The kubernetes runtime of a configuration (CODEYARD_RUNTIME=kubernetes): the cluster from the
 * pod's service account when the portal runs in one, else KUBECONFIG or ~/.kube/config; the
 * workspace relay for the pods served on CODEYARD_KUBE_RELAY_PORT at the portal's address.
 */
export async function openKubernetesRuntime(config: Readonly<Config>, deps: { workspaces: WorkspaceStore; signingKey: Buffer; log: KubeRuntimeOptions['log'] }): Promise<KubernetesRuntime> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  const runtime = await KubernetesRuntime.open({
    kubeConfig,
    objects: kubeObjectOptions(config),
    workspaces: deps.workspaces,
    signingKey: deps.signingKey,
    relayListen: { port: config.kube.relayPort, host: config.bind },
    log: deps.log,
  });
  deps.log.info({ cluster: runtime.api.server, namespace: config.kube.namespace, relay: config.kube.relayUrl }, 'repls run as pods (kubernetes runtime)');
  return runtime;
}
