import type { Config } from '../../config.js';
import type { KubeObjectOptions } from './manifests.js';

/** The object builder's options from a configuration: the CODEYARD_KUBE_* settings and the repl limits. */
export function kubeObjectOptions(config: Readonly<Config>): KubeObjectOptions {
  const kube = config.kube;
  return {
    namespace: kube.namespace,
    controlNamespace: kube.controlNamespace,
    imagePrefix: kube.imagePrefix,
    imageTag: kube.imageTag,
    runtimeClassName: kube.runtimeClassName,
    nodeSelector: kube.nodeSelector,
    tolerations: kube.tolerations,
    blockedCidrs: kube.blockedCidrs,
    proxySelector: kube.proxySelector,
    portalSelector: kube.portalSelector,
    relayUrl: kube.relayUrl,
    relayPort: kube.relayPort,
    limits: { memoryBytes: config.limitMemoryBytes, cpus: config.limitCpus, diskBytes: config.limitDiskBytes },
    terminationGraceSeconds: kube.terminationGraceSeconds,
    sync: { debounceMs: config.syncDebounceMs, scanIntervalMs: config.syncScanMs },
    maxFileBytes: config.maxFileBytes,
  };
}
