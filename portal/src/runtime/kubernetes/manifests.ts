import type { V1NetworkPolicy, V1NetworkPolicyIngressRule, V1NetworkPolicyPeer, V1NetworkPolicySpec, V1Pod, V1Secret, V1Toleration } from '@kubernetes/client-node';
import type { ReplInfo } from '@codeyard/common/agent/config';
import { ALLOWED_V6_CIDR, inGlobalV6 } from '@codeyard/common/addresses';
import type { StackManifest } from '../../templates/manifest.js';
import { buildAgentConfig } from '../agent-config.js';
import { codeServerArgs, codeServerEnv, codeServerNodeFlags, DEFAULT_SETTINGS } from '../process/code-server-settings.js';
import { limitsFor } from '../process/options.js';
import { SANDBOX_PATH } from '../process/sandbox.js';
import { COMPONENT, LABELS, labelValue, MANAGED_BY, objectName, POD_LAYOUT, stackImage } from './pod-layout.js';

/** The cluster-side settings every repl's objects are made with (from the config, see options.ts). */
export interface KubeObjectOptions {
  namespace: string;
  /** Images are `<imagePrefix>codeyard-<stack>:<imageTag>`. */
  imagePrefix: string;
  imageTag: string;
  /** A RuntimeClass for repl pods (gVisor's `gvisor`, Kata…); the cluster's default when unset. */
  runtimeClassName?: string;
  /** Node labels repl pods are placed by (their node pool, where the chart pre-pulls the images); any node when empty. */
  nodeSelector?: Readonly<Record<string, string>>;
  /** Taints of that pool repl pods tolerate. */
  tolerations?: readonly V1Toleration[];
  /** Egress never reaches these (private ranges, link-local, metadata, the cluster's pod and service CIDRs). */
  blockedCidrs: readonly string[];
  /** Labels of the proxy's pods: the only ones a repl pod accepts connections from. */
  proxySelector: Readonly<Record<string, string>>;
  /** Labels of the portal's pods, which serve the workspace relay on `relayPort`. */
  portalSelector: Readonly<Record<string, string>>;
  /** The namespace of the proxy and portal pods (the repls' own when unset). */
  controlNamespace?: string;
  /** The workspace relay as pods reach it (`http://codeyard-portal.codeyard.svc:8081`). */
  relayUrl: string;
  relayPort: number;
  /** Default limits of one repl; a stack's repl.json may raise them. */
  limits: { memoryBytes: number; cpus: number; diskBytes: number };
  /** How long a stopping pod has to save its files after SIGTERM. */
  terminationGraceSeconds: number;
  sync?: { debounceMs?: number; scanIntervalMs?: number };
  maxFileBytes: number;
}

/** One pod's part: a repl's, or (without `repl`) a warm pod of the stack that waits for one. */
export interface ReplPodRequest {
  /** The pod's own id; its objects are all named `codeyard-<sandboxId>`. */
  sandboxId: string;
  manifest: StackManifest;
  /** `memoryLimitBytes`: the repl's own memory limit (ReplSpec), when it has one. */
  repl?: { id: string; owner?: string; info?: ReplInfo; memoryLimitBytes?: number };
  /** The pod's gate secret (64 hex) and, for a repl, its relay credential. */
  gateSecret: string;
  relayToken?: string;
}

/**
 * A NetworkPolicy as the API and YAML spell it. The client's model names an ingress rule's `from`
 * `_from` (a reserved word in its generator); everything else of these objects is spelled alike,
 * so the builder makes the wire form and the driver renames that one field (kube-api.ts).
 */
export type WireIngressRule = Omit<V1NetworkPolicyIngressRule, '_from'> & { from?: V1NetworkPolicyPeer[] };
export type WireNetworkPolicy = Omit<V1NetworkPolicy, 'spec'> & { spec: Omit<V1NetworkPolicySpec, 'ingress'> & { ingress?: WireIngressRule[] } };

/** The objects of one pod, as the API takes them (and `kube:manifests` prints them). */
export interface ReplObjects {
  pod: V1Pod;
  networkPolicy: WireNetworkPolicy;
  secret: V1Secret;
}

const MiB = 1024 * 1024;
/** The agent's state (sync index, logs) and /run's sockets: small, fixed. */
const STATE_BYTES = 256 * MiB;
const RUN_BYTES = 16 * MiB;
/** /tmp is the workspace's size at most 1 GiB: builds use it, nothing there is kept. */
const TMP_MAX_BYTES = 1024 * MiB;

/** Labels of one pod's objects: managed by Codeyard, its sandbox, and its repl, owner and stack. */
export function podLabels(request: Pick<ReplPodRequest, 'sandboxId' | 'manifest' | 'repl'>): Record<string, string> {
  const labels: Record<string, string | undefined> = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.component]: COMPONENT,
    [LABELS.sandbox]: request.sandboxId,
    [LABELS.stack]: request.manifest.id,
    [LABELS.repl]: request.repl?.id,
    [LABELS.owner]: labelValue(request.repl?.owner),
    [LABELS.warm]: request.repl ? undefined : 'true',
  };
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The agent's config for the pod, as the Secret holds it: the same contract as in the sandbox. */
export function podAgentConfig(request: ReplPodRequest, options: KubeObjectOptions): string {
  const userData = `${POD_LAYOUT.home}/.local/share/code-server`;
  const flags = codeServerArgs({
    socketPath: `${POD_LAYOUT.run}/ide.sock`,
    userDataDir: userData,
    extensionsDir: `${userData}/extensions`,
    configFile: `${POD_LAYOUT.home}/.config/code-server/config.yaml`,
    workspace: POD_LAYOUT.workspace,
    builtinExtensionsDir: POD_LAYOUT.builtinExtensions,
  });
  const config = buildAgentConfig({
    replId: request.repl?.id ?? request.sandboxId,
    manifest: request.manifest,
    info: request.repl?.info,
    paths: { home: POD_LAYOUT.home, workspace: POD_LAYOUT.workspace, run: POD_LAYOUT.run, state: POD_LAYOUT.state, store: POD_LAYOUT.run },
    sync: options.sync,
    maxFileBytes: options.maxFileBytes,
    ownPidNamespace: true,
    pooled: !request.repl,
    relay: request.repl ? { url: options.relayUrl, token: request.relayToken ?? '' } : undefined,
    gate: { port: POD_LAYOUT.gatePort, healthPort: POD_LAYOUT.healthPort, secret: request.gateSecret },
    // The same memory tuning as in the sandbox (code-server's wrapper forks its server with these
    // flags); the image has the idle collection and tsserver-node where a sandbox has them.
    ide: { argv: ['node', ...codeServerNodeFlags(POD_LAYOUT.idleGc), POD_LAYOUT.codeServerEntry, ...flags], settings: DEFAULT_SETTINGS, env: codeServerEnv(POD_LAYOUT.node) },
  });
  return JSON.stringify(config);
}

/** The pod's environment, built from nothing as in the sandbox (repl-env.ts): no cluster variables. */
function podEnv(request: ReplPodRequest): Array<{ name: string; value: string }> {
  const home = POD_LAYOUT.home;
  const env: Record<string, string> = {
    HOME: home,
    USER: POD_LAYOUT.user,
    LOGNAME: POD_LAYOUT.user,
    SHELL: '/bin/bash',
    PATH: SANDBOX_PATH,
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    COLORTERM: 'truecolor',
    TMPDIR: POD_LAYOUT.tmp,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_DATA_HOME: `${home}/.local/share`,
    XDG_CACHE_HOME: `${home}/.cache`,
    PORT: String(request.manifest.port),
    HOST: '0.0.0.0',
  };
  if (request.repl) env.CODEYARD_REPL_ID = request.repl.id;
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

/** A byte count as a Kubernetes quantity (whole MiB, rounded up). */
function mebibytes(bytes: number): string {
  return `${Math.ceil(bytes / MiB)}Mi`;
}

/**
 * A pod's limits: the options', the stack's own on top, and the repl's own memory limit when
 * lower (a class's per-student limit; the pod's memory request and limit both follow it).
 */
export function podLimits(options: Pick<KubeObjectOptions, 'limits'>, manifest: StackManifest, replMemoryBytes?: number): ReturnType<typeof limitsFor> {
  return limitsFor({ ...options.limits, processes: 0, openFiles: 0 }, manifest.limits, replMemoryBytes);
}

/**
 * The Pod of one repl (or warm pod): the agent as its entrypoint (it restores the workspace, runs
 * code-server and the app, saves on SIGTERM within the grace period); restricted Pod Security;
 * every writable place an emptyDir with a size limit (the root filesystem is read-only); limits
 * from the stack's; readiness from the agent.
 */
export function replPod(request: ReplPodRequest, options: KubeObjectOptions): V1Pod {
  const limits = podLimits(options, request.manifest, request.repl?.memoryLimitBytes);
  const tmpBytes = Math.min(limits.diskBytes, TMP_MAX_BYTES);
  // Everything on the node's disk: workspace and home (each the disk limit, as in the sandbox), /tmp, state.
  const ephemeral = 2 * limits.diskBytes + tmpBytes + STATE_BYTES;
  const name = objectName(request.sandboxId);
  const emptyDir = (volume: string, bytes: number, medium?: string): { name: string; emptyDir: { sizeLimit: string; medium?: string } } => ({ name: volume, emptyDir: { sizeLimit: mebibytes(bytes), ...(medium ? { medium } : {}) } });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: options.namespace, labels: podLabels(request), annotations: { 'codeyard.dev/image-tag': options.imageTag } },
    spec: {
      automountServiceAccountToken: false,
      // No cluster Service addresses in the repl's environment.
      enableServiceLinks: false,
      hostname: 'repl',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: options.terminationGraceSeconds,
      ...(options.runtimeClassName ? { runtimeClassName: options.runtimeClassName } : {}),
      ...(options.nodeSelector && Object.keys(options.nodeSelector).length ? { nodeSelector: { ...options.nodeSelector } } : {}),
      ...(options.tolerations?.length ? { tolerations: options.tolerations.map((t) => ({ ...t })) } : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: POD_LAYOUT.uid,
        runAsGroup: POD_LAYOUT.gid,
        fsGroup: POD_LAYOUT.gid,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: POD_LAYOUT.container,
          image: stackImage(options.imagePrefix, request.manifest.id, options.imageTag),
          imagePullPolicy: 'IfNotPresent',
          command: ['node', POD_LAYOUT.agent, POD_LAYOUT.configFile],
          workingDir: POD_LAYOUT.workspace,
          env: podEnv(request),
          ports: [
            { name: 'gate', containerPort: POD_LAYOUT.gatePort, protocol: 'TCP' },
            { name: 'health', containerPort: POD_LAYOUT.healthPort, protocol: 'TCP' },
          ],
          readinessProbe: { httpGet: { path: '/readyz', port: 'health' }, periodSeconds: 2, failureThreshold: 3, timeoutSeconds: 2 },
          resources: {
            // Memory is asked for in full (it cannot be taken back); CPU a quarter of the limit and disk
            // one workspace's worth, so idle repls pack while each stays within its own limits.
            requests: { cpu: `${limits.cpus * 250}m`, memory: mebibytes(limits.memoryBytes), 'ephemeral-storage': mebibytes(limits.diskBytes) },
            limits: { cpu: String(limits.cpus), memory: mebibytes(limits.memoryBytes), 'ephemeral-storage': mebibytes(ephemeral) },
          },
          securityContext: {
            runAsNonRoot: true,
            runAsUser: POD_LAYOUT.uid,
            runAsGroup: POD_LAYOUT.gid,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
          volumeMounts: [
            { name: 'config', mountPath: POD_LAYOUT.configDir, readOnly: true },
            { name: 'home', mountPath: POD_LAYOUT.home },
            { name: 'workspace', mountPath: POD_LAYOUT.workspace },
            { name: 'run', mountPath: POD_LAYOUT.run },
            { name: 'state', mountPath: POD_LAYOUT.state },
            { name: 'tmp', mountPath: POD_LAYOUT.tmp },
          ],
        },
      ],
      volumes: [
        { name: 'config', secret: { secretName: name, defaultMode: 0o440 } },
        emptyDir('home', limits.diskBytes),
        emptyDir('workspace', limits.diskBytes),
        // Sockets only: in memory (counted in the pod's memory limit).
        emptyDir('run', RUN_BYTES, 'Memory'),
        emptyDir('state', STATE_BYTES),
        emptyDir('tmp', tmpBytes),
      ],
    },
  };
}

/** A peer of the control plane's pods (in their namespace, when it is another). */
function controlPeer(selector: Readonly<Record<string, string>>, options: KubeObjectOptions): V1NetworkPolicyPeer {
  return {
    podSelector: { matchLabels: { ...selector } },
    ...(options.controlNamespace && options.controlNamespace !== options.namespace ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': options.controlNamespace } } } : {}),
  };
}

/**
 * The pod's network: in, only the proxy's pods, only to the gate (the kubelet's probe comes from
 * the node); out, DNS to the cluster's DNS pods, the workspace relay on the portal's pods, and
 * the internet except `blockedCidrs` (so no private range, link-local, metadata address, pod or
 * service CIDR): the promise of the local egress proxy (SECURITY.md).
 */
export function replNetworkPolicy(request: Pick<ReplPodRequest, 'sandboxId' | 'manifest' | 'repl'>, options: KubeObjectOptions): WireNetworkPolicy {
  const v4 = options.blockedCidrs.filter((c) => !c.includes(':'));
  // IPv6 out is global unicast only: ranges outside it are closed already, and the API refuses them as exceptions.
  const v6 = options.blockedCidrs.filter((c) => c.includes(':') && inGlobalV6(c));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: objectName(request.sandboxId), namespace: options.namespace, labels: podLabels(request) },
    spec: {
      podSelector: { matchLabels: { [LABELS.sandbox]: request.sandboxId } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [controlPeer(options.proxySelector, options)], ports: [{ protocol: 'TCP', port: POD_LAYOUT.gatePort }] }],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
        },
        { to: [controlPeer(options.portalSelector, options)], ports: [{ protocol: 'TCP', port: options.relayPort }] },
        {
          to: [
            { ipBlock: { cidr: '0.0.0.0/0', except: [...v4] } },
            { ipBlock: { cidr: ALLOWED_V6_CIDR, except: [...v6] } },
          ],
        },
      ],
    },
  };
}

/** The pod's Secret: the agent's config, with the gate secret and the relay credential in it. */
export function replSecret(request: ReplPodRequest, options: KubeObjectOptions): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: objectName(request.sandboxId), namespace: options.namespace, labels: podLabels(request) },
    type: 'Opaque',
    data: { [POD_LAYOUT.configKey]: Buffer.from(podAgentConfig(request, options)).toString('base64') },
  };
}

/** Everything the driver creates for one pod, in the order it creates them (network first). */
export function replObjects(request: ReplPodRequest, options: KubeObjectOptions): ReplObjects {
  return { networkPolicy: replNetworkPolicy(request, options), secret: replSecret(request, options), pod: replPod(request, options) };
}
