import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import type { ReplObjects } from '../../src/runtime/kubernetes/manifests.js';
import { POD_LAYOUT } from '../../src/runtime/kubernetes/pod-layout.js';

/**
 * The kubernetes driver's own Pod (replObjects), changed only where podman 4.3 (Debian 12's)
 * needs it to run the Pod on one machine, each change said here:
 *
 * - The Secret becomes a hostPath folder holding the same agent.json at the same mount path,
 *   read-only: podman 4.3's `kube play` writes a secret volume's items base64-encoded (the agent
 *   would read base64), and crashes on a secret volume without `optional`.
 * - The gate and readiness ports get a hostPort on 127.0.0.1: the test reaches the pod only
 *   there (a cluster's proxy reaches the pod's own address, which here is podman's bridge).
 *
 * Everything else (image, command, env, security contexts, emptyDir volumes and their limits,
 * resources) is the driver's Pod as it is.
 */
export function podForPodman(objects: ReplObjects, options: { gateHostPort: number; healthHostPort: number }): { pod: V1Pod; configDir: string } {
  const pod = structuredClone(objects.pod);
  const spec = pod.spec!;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-kube-config-'));
  fs.chmodSync(configDir, 0o755);
  const config = Buffer.from(objects.secret.data![POD_LAYOUT.configKey]!, 'base64');
  // Readable by the pod's user (uid 1000) as the Secret's files are through fsGroup; written by nobody inside.
  fs.writeFileSync(path.join(configDir, POD_LAYOUT.configKey), config, { mode: 0o444 });
  const secretVolume = spec.volumes!.findIndex((v) => v.secret);
  if (secretVolume === -1) throw new Error('the driver\'s Pod has no secret volume any more: update podForPodman');
  spec.volumes![secretVolume] = { name: spec.volumes![secretVolume]!.name, hostPath: { path: configDir, type: 'Directory' } };
  const container = spec.containers.find((c) => c.name === POD_LAYOUT.container)!;
  container.ports = container.ports!.map((port) => {
    const hostPort = port.containerPort === POD_LAYOUT.gatePort ? options.gateHostPort : port.containerPort === POD_LAYOUT.healthPort ? options.healthHostPort : undefined;
    return hostPort ? { ...port, hostPort, hostIP: '127.0.0.1' } : port;
  });
  return { pod, configDir };
}
