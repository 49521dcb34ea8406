import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { GateTarget } from '@codeyard/common/agent/gate';
import type { Target } from '@codeyard/common/agent/protocol';
import { newReplId, type ReplId } from '@codeyard/common/repl-id';
import { loadConfig } from '../../src/config.js';
import { kubeObjectOptions } from '../../src/runtime/kubernetes/kube-options.js';
import { replObjects } from '../../src/runtime/kubernetes/manifests.js';
import { objectName, POD_LAYOUT } from '../../src/runtime/kubernetes/pod-layout.js';
import { NetworkRelay, RelayCredentials } from '../../src/store/network-relay.js';
import { S3Store } from '../../src/store/s3-store.js';
import { WorkspaceStore } from '../../src/store/workspace-store.js';
import { parseManifest } from '../../src/templates/manifest.js';
import { freePort } from './http.js';
import { podForPodman } from './kube-pod.js';
import { playPod, podman, removePod, testImageTag } from './podman.js';
import { startS3Server, type S3TestServer } from './s3-server.js';
import { REPO_ROOT } from './test-portal.js';

/** A node app that says which repl it runs in. */
export const POD_APP = "require('http').createServer((req, res) => res.end('hello from the pod ' + process.env.CODEYARD_REPL_ID)).listen(Number(process.env.PORT), '0.0.0.0');\n";

/** The parts around one driver Pod: its store, relay, gate, and how to end it all. */
export interface DriverPod {
  replId: ReplId;
  podName: string;
  /** The repl's container, for `podman exec` and `podman logs`. */
  container: string;
  workspaces: WorkspaceStore;
  prefix: string;
  /** A target through the pod's gate (published on 127.0.0.1) with the pod's secret. */
  gate(to: GateTarget): Target;
  /** The readiness port, published on 127.0.0.1. */
  healthPort: number;
  /** Starts the pod (podman kube play); resolves once its /readyz answers 200. */
  start(timeoutMs?: number): Promise<void>;
  /** Ends the pod as the kubelet deletes one (SIGTERM to the repl's container, its grace period, then the rest); resolves with the container's log. */
  stop(graceSeconds: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * Everything a repl pod of the kubernetes driver needs around it on one machine: s3rver as the
 * store with a workspace in it (POD_APP as index.js, notes.txt), the portal's network relay on
 * 127.0.0.1 with a credential for this repl and pod only, and the driver's own objects
 * (replObjects) adapted for podman by podForPodman. The pod gets its own network namespace from
 * slirp4netns, which maps 10.0.2.2 inside to the host's loopback: that address stands in for the
 * portal Service's in the relay URL.
 */
export async function driverPod(options: { stack?: string; env?: Record<string, string> } = {}): Promise<DriverPod> {
  const stack = options.stack ?? 'node';
  const sandboxId = randomBytes(6).toString('hex');
  const podName = objectName(sandboxId);
  const replId = newReplId();
  const prefix = `workspaces/${replId}/`;
  let s3: S3TestServer | undefined;
  let relay: NetworkRelay | undefined;
  let configDir: string | undefined;
  let live = true;
  const close = async (): Promise<void> => {
    live = false;
    await removePod(podName);
    await relay?.close();
    await s3?.stop();
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
  };
  try {
    s3 = await startS3Server();
    const workspaces = new WorkspaceStore(await S3Store.open({ bucket: s3.bucket, prefix: 'codeyard/', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials }));
    await workspaces.create(prefix, [{ path: 'index.js', type: 'file', body: Buffer.from(POD_APP) }, { path: 'notes.txt', type: 'file', body: Buffer.from('first\n') }], 1 << 30);
    const credentials = new RelayCredentials(randomBytes(32));
    // Only this pod of this repl is live: any other credential gets a 401.
    relay = new NetworkRelay({ workspaces, credentials, live: (repl, sandbox) => live && repl === replId && sandbox === sandboxId, quotaBytes: () => 1 << 30 });
    const relayPort = await freePort();
    await relay.listen(relayPort, '127.0.0.1');
    const config = loadConfig({ CODEYARD_KUBE_IMAGE_PREFIX: 'localhost/', CODEYARD_KUBE_IMAGE_TAG: testImageTag(), CODEYARD_KUBE_RELAY_URL: `http://10.0.2.2:${relayPort}`, ...options.env });
    const manifest = parseManifest(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'templates', stack, 'repl.json'), 'utf8')), 'repl.json', stack);
    const gateSecret = randomBytes(32).toString('hex');
    const objects = replObjects(
      { sandboxId, manifest, repl: { id: replId, owner: 'u0123456789abcdef0123', info: { name: 'kube play', stack, port: manifest.port, previewUrl: '' } }, gateSecret, relayToken: credentials.issue(replId, sandboxId) },
      kubeObjectOptions(config),
    );
    const gatePort = await freePort();
    const healthPort = await freePort();
    const made = podForPodman(objects, { gateHostPort: gatePort, healthHostPort: healthPort });
    configDir = made.configDir;
    const container = `${podName}-${POD_LAYOUT.container}`;
    return {
      replId,
      podName,
      container,
      workspaces,
      prefix,
      healthPort,
      gate: (to) => ({ kind: 'gate', host: '127.0.0.1', port: gatePort, secret: gateSecret, to }),
      async start(timeoutMs = 180_000) {
        await removePod(podName);
        await playPod(made.pod, ['--network', 'slirp4netns:allow_host_loopback=true']);
        // Ready as the kubelet sees it: the agent's readiness port answers 200 (restored, VS Code up).
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
          const status = await fetch(`http://127.0.0.1:${healthPort}/readyz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);
          if (status === 200) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        // What the pod said is the only clue: put it in the failure.
        const logs = await podman(['logs', container]).catch((e: Error) => e.message);
        throw new Error(`the pod's /readyz did not answer 200 within ${timeoutMs} ms; its logs:\n${logs.split('\n').slice(-40).join('\n')}`);
      },
      async stop(graceSeconds) {
        // The container first, and the pod's network only once it has ended: `podman pod stop`
        // takes the network down at once, and the agent's last save then fails (ENETUNREACH),
        // which Kubernetes never does to a terminating container.
        await podman(['stop', '--time', String(graceSeconds), container], (graceSeconds + 30) * 1000);
        const logs = await podman(['logs', container]).catch((e: Error) => e.message);
        await removePod(podName);
        return logs;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
