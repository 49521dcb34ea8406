import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseAgentConfig } from '@codeyard/common/agent/config';
import { newReplId } from '@codeyard/common/repl-id';
import { loadConfig } from '../../src/config.js';
import { kubeObjectOptions } from '../../src/runtime/kubernetes/kube-options.js';
import { type KubeObjectOptions, replObjects, type ReplObjects, type ReplPodRequest } from '../../src/runtime/kubernetes/manifests.js';
import { LABELS, POD_LAYOUT } from '../../src/runtime/kubernetes/pod-layout.js';
import { INSIDE } from '../../src/runtime/process/sandbox.js';
import type { StackManifest } from '../../src/templates/manifest.js';
import { kubeProblems } from '../helpers/kube-schemas.js';
import { repoTemplates } from '../helpers/memory-repls.js';

const defaults = kubeObjectOptions(loadConfig({}));

async function manifestOf(stack: string): Promise<StackManifest> {
  const template = (await repoTemplates()).find((t) => t.manifest.id === stack);
  assert.ok(template, `the repository has a ${stack} template`);
  return template.manifest;
}

function request(manifest: StackManifest, repl = true): ReplPodRequest {
  const id = newReplId();
  return {
    sandboxId: randomBytes(6).toString('hex'),
    manifest,
    repl: repl ? { id, owner: 'u0123456789abcdef0123', info: { name: 'demo', stack: manifest.id, port: manifest.port, previewUrl: `http://${id}-${manifest.port}.localhost:8080/` } } : undefined,
    gateSecret: randomBytes(32).toString('hex'),
    relayToken: repl ? 'a-relay-token' : undefined,
  };
}

function agentConfigOf(objects: ReplObjects): ReturnType<typeof parseAgentConfig> {
  const data = objects.secret.data?.[POD_LAYOUT.configKey];
  assert.ok(data, 'the Secret holds the agent config');
  return parseAgentConfig(JSON.parse(Buffer.from(data, 'base64').toString('utf8')));
}

describe('kubernetes objects of a repl (manifests.ts)', () => {
  it('validates every object of every stack, repl and warm pod, against the Kubernetes schemas, with no unknown field', async () => {
    const variants: Array<[string, KubeObjectOptions]> = [
      ['defaults', defaults],
      ['gVisor, a registry, cluster CIDRs, another namespace', kubeObjectOptions(loadConfig({ CODEYARD_KUBE_RUNTIME_CLASS: 'gvisor', CODEYARD_KUBE_IMAGE_PREFIX: 'registry.example.com/codeyard/', CODEYARD_KUBE_IMAGE_TAG: '1.2.3', CODEYARD_KUBE_CLUSTER_CIDRS: '10.96.0.0/12,fd00:10:96::/112,2600:1f00::/40', CODEYARD_KUBE_NAMESPACE: 'repls', CODEYARD_KUBE_CONTROL_NAMESPACE: 'repls' }))],
      ['a node pool: node selector and tolerations, compact and JSON', kubeObjectOptions(loadConfig({ CODEYARD_KUBE_NODE_SELECTOR: 'codeyard.dev/pool=repls,kubernetes.io/arch=amd64', CODEYARD_KUBE_TOLERATIONS: 'codeyard.dev/repls:NoSchedule,pool=repls:NoExecute,spot' }))],
      ['tolerations as JSON', kubeObjectOptions(loadConfig({ CODEYARD_KUBE_TOLERATIONS: '[{"key":"codeyard.dev/repls","operator":"Exists","effect":"NoSchedule"},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":30}]' }))],
    ];
    for (const [variant, options] of variants) {
      for (const template of await repoTemplates()) {
        for (const repl of [true, false]) {
          const objects = replObjects(request(template.manifest, repl), options);
          for (const object of Object.values(objects)) {
            assert.deepEqual(kubeProblems(object), [], `${variant}, ${template.manifest.id} ${repl ? 'repl' : 'warm'} ${object.kind}`);
          }
        }
      }
    }
  });

  it('the checker itself refuses a typo, a bad quantity and a wrong type (so a pass means something)', async () => {
    const { pod } = replObjects(request(await manifestOf('node')), defaults);
    const typo = structuredClone(pod) as unknown as { spec: { containers: Array<Record<string, unknown>> } };
    typo.spec.containers[0]!.securityContex = typo.spec.containers[0]!.securityContext;
    assert.match(kubeProblems(typo as never).join('\n'), /unknown field .spec.containers\[0\].securityContex/);
    const quantity = structuredClone(pod);
    quantity.spec!.containers[0]!.resources!.limits!.memory = 'lots';
    assert.match(kubeProblems(quantity).join('\n'), /quantity/);
    const port = structuredClone(pod) as unknown as { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } };
    port.spec.containers[0]!.ports[0]!.containerPort = 'seven';
    assert.match(kubeProblems(port as never).join('\n'), /containerPort must be integer/);
  });

  it('runs the pod under restricted Pod Security: non-root, no escalation, no capabilities, RuntimeDefault seccomp, read-only root, no token', async () => {
    const { pod } = replObjects(request(await manifestOf('python')), defaults);
    const spec = pod.spec!;
    const container = spec.containers[0]!;
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(spec.enableServiceLinks, false);
    assert.deepEqual(spec.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(spec.securityContext?.runAsNonRoot, true);
    assert.equal(container.securityContext?.runAsUser, INSIDE.uid);
    assert.equal(container.securityContext?.runAsNonRoot, true);
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext?.privileged, false);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext?.capabilities, { drop: ['ALL'] });
    assert.deepEqual(container.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(spec.hostNetwork ?? false, false);
    assert.equal(spec.runtimeClassName, undefined, 'the cluster default unless configured');
    const gvisor = replObjects(request(await manifestOf('python')), { ...defaults, runtimeClassName: 'gvisor' }).pod;
    assert.equal(gvisor.spec?.runtimeClassName, 'gvisor');
  });

  it('starts the agent from the stack image with its config from the Secret, at the sandbox paths; every writable place is a sized emptyDir', async () => {
    const manifest = await manifestOf('go');
    const objects = replObjects(request(manifest), { ...defaults, imagePrefix: 'reg.example/cy/', imageTag: '9.9.9' });
    const container = objects.pod.spec!.containers[0]!;
    assert.equal(container.image, 'reg.example/cy/codeyard-go:9.9.9');
    assert.deepEqual(container.command, ['node', INSIDE.agent, POD_LAYOUT.configFile]);
    const mounts = Object.fromEntries(container.volumeMounts!.map((m) => [m.mountPath, m.name]));
    assert.deepEqual(Object.keys(mounts).sort(), [POD_LAYOUT.configDir, INSIDE.home, INSIDE.workspace, INSIDE.run, INSIDE.state, '/tmp'].sort());
    const volumes = objects.pod.spec!.volumes!;
    assert.equal(volumes.find((v) => v.name === 'config')?.secret?.secretName, objects.secret.metadata?.name);
    for (const volume of volumes.filter((v) => v.name !== 'config')) assert.match(volume.emptyDir?.sizeLimit ?? '', /^\d+Mi$/, `${volume.name} has a size limit`);
    assert.equal(volumes.find((v) => v.name === 'workspace')?.emptyDir?.sizeLimit, `${defaults.limits.diskBytes / 1024 / 1024}Mi`);
    assert.equal(objects.pod.spec!.terminationGracePeriodSeconds, defaults.terminationGraceSeconds);
    assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');

    const config = agentConfigOf(objects);
    assert.equal(config.workspace, INSIDE.workspace);
    assert.equal(config.stateDir, INSIDE.state);
    assert.deepEqual(config.gate, { port: POD_LAYOUT.gatePort, healthPort: POD_LAYOUT.healthPort, secret: config.gate?.secret });
    assert.deepEqual({ url: config.sync?.url, token: config.sync?.token, socket: config.sync?.socket }, { url: defaults.relayUrl, token: 'a-relay-token', socket: undefined });
    // code-server's entry after Node's flags (its young generation kept small, as in the sandbox), and glibc's arenas limited.
    assert.equal(config.ide?.argv.find((arg) => !arg.startsWith('--') && arg !== 'node'), POD_LAYOUT.codeServerEntry);
    assert.ok(config.ide?.argv.includes('--max-semi-space-size=1'));
    assert.equal(config.ide?.env?.MALLOC_ARENA_MAX, '2');
    // code-server's processes preload the idle collection from the image, and the TypeScript
    // server runs on the image's tsserver-node with the image's Node.
    assert.ok(config.ide?.argv.includes(`--require=${POD_LAYOUT.idleGc}`), config.ide?.argv.join(' '));
    assert.equal(config.ide?.env?.CODEYARD_IDE_NODE, POD_LAYOUT.node);
    assert.equal(config.ide?.settings['js/ts.tsserver.node.path'], POD_LAYOUT.tsserverNode);
    assert.ok(config.ide?.argv.includes(POD_LAYOUT.builtinExtensions));
    assert.equal(config.ownPidNamespace, true);
  });

  it('holds no store key anywhere: the Secret has the relay URL and the repl credential only', async () => {
    const objects = replObjects(request(await manifestOf('node')), defaults);
    const everything = JSON.stringify(objects) + Buffer.from(objects.secret.data![POD_LAYOUT.configKey]!, 'base64').toString();
    assert.doesNotMatch(everything, /AWS_|accessKey|secretAccessKey|CODEYARD_S3|signing/i);
    assert.ok(!objects.pod.spec!.containers[0]!.env!.some((e) => e.name.startsWith('KUBERNETES_') || e.name.startsWith('CODEYARD_S3')));
  });

  it('takes requests and limits from the stack: its own limits raise the defaults', async () => {
    const rust = { ...(await manifestOf('rust')), limits: { memoryMb: 4096, cpus: 2, diskMb: 8192 } };
    const resources = replObjects(request(rust), defaults).pod.spec!.containers[0]!.resources!;
    assert.deepEqual(resources.limits, { cpu: '2', memory: '4096Mi', 'ephemeral-storage': `${8192 * 2 + 1024 + 256}Mi` });
    assert.deepEqual(resources.requests, { cpu: '500m', memory: '4096Mi', 'ephemeral-storage': '8192Mi' });
  });

  it("takes a repl's own memory limit (a class's per-student limit) for the pod's memory request and limit when it is lower", async () => {
    const node = await manifestOf('node');
    const own = request(node);
    own.repl!.memoryLimitBytes = 512 * 1024 * 1024;
    const resources = replObjects(own, defaults).pod.spec!.containers[0]!.resources!;
    assert.deepEqual([resources.requests?.memory, resources.limits?.memory], ['512Mi', '512Mi']);
    assert.deepEqual(kubeProblems(replObjects(own, defaults).pod), [], 'still a valid pod');
    const higher = request(node);
    higher.repl!.memoryLimitBytes = defaults.limits.memoryBytes * 2;
    assert.equal(replObjects(higher, defaults).pod.spec!.containers[0]!.resources!.limits!.memory, `${defaults.limits.memoryBytes / 1024 / 1024}Mi`, 'never raised above the server\'s');
  });

  it('labels every object with its sandbox, repl, owner and stack (what the driver re-adopts by); a warm pod has no repl yet', async () => {
    const req = request(await manifestOf('static'));
    for (const object of Object.values(replObjects(req, defaults))) {
      assert.equal(object.metadata?.labels?.[LABELS.repl], req.repl!.id);
      assert.equal(object.metadata?.labels?.[LABELS.owner], req.repl!.owner);
      assert.equal(object.metadata?.labels?.[LABELS.stack], 'static');
      assert.equal(object.metadata?.labels?.[LABELS.sandbox], req.sandboxId);
      assert.equal(object.metadata?.labels?.[LABELS.warm], undefined);
    }
    const warm = replObjects(request(await manifestOf('static'), false), defaults);
    assert.equal(warm.pod.metadata?.labels?.[LABELS.repl], undefined);
    assert.equal(warm.pod.metadata?.labels?.[LABELS.warm], 'true');
    assert.equal(agentConfigOf(warm).pooled, true);
    assert.equal(agentConfigOf(warm).sync, undefined, 'a warm pod gets its relay credential only when a repl takes it');
  });

  it('lets in only the proxy pods, to the gate; lets out DNS, the relay on the portal pods, and the internet without the blocked ranges', async () => {
    const { networkPolicy: np } = replObjects(request(await manifestOf('node')), defaults);
    const spec = np.spec;
    assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(spec.podSelector?.matchLabels, { [LABELS.sandbox]: np.metadata!.labels![LABELS.sandbox] });
    assert.equal(spec.ingress?.length, 1);
    assert.deepEqual(spec.ingress![0]!.from![0]!.podSelector?.matchLabels, defaults.proxySelector);
    assert.deepEqual(spec.ingress![0]!.ports, [{ protocol: 'TCP', port: POD_LAYOUT.gatePort }]);
    const [dns, relay, internet] = spec.egress!;
    assert.deepEqual(dns!.ports!.map((p) => `${p.protocol}/${p.port}`), ['UDP/53', 'TCP/53']);
    assert.deepEqual(relay!.to![0]!.podSelector?.matchLabels, defaults.portalSelector);
    assert.deepEqual(relay!.ports, [{ protocol: 'TCP', port: defaults.relayPort }]);
    const [v4, v6] = internet!.to!;
    for (const range of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10', '127.0.0.0/8']) assert.ok(v4!.ipBlock!.except!.includes(range), `${range} is blocked`);
    assert.equal(v6!.ipBlock!.cidr, '2000::/3', 'IPv6: global unicast only (so no ULA, link-local, mapped IPv4)');
    assert.equal(internet!.ports, undefined, 'any port on the internet, as with the egress proxy for HTTP(S)');

    const cluster = kubeObjectOptions(loadConfig({ CODEYARD_KUBE_CLUSTER_CIDRS: '10.96.0.0/12,fd00:10:96::/112,2600:1f00::/40' }));
    const withCluster = replObjects(request(await manifestOf('node')), cluster).networkPolicy.spec.egress![2]!.to!;
    assert.ok(withCluster[0]!.ipBlock!.except!.includes('10.96.0.0/12'));
    assert.ok(withCluster[1]!.ipBlock!.except!.includes('2600:1f00::/40'), 'a global IPv6 cluster range is an exception');
    assert.ok(!withCluster[1]!.ipBlock!.except!.includes('fd00:10:96::/112'), 'a ULA range is closed already (and the API refuses it as an exception)');
  });

  it('places repl and warm pods on the node pool of CODEYARD_KUBE_NODE_SELECTOR, tolerating its taints; anywhere when unset', async () => {
    const pool = kubeObjectOptions(loadConfig({ CODEYARD_KUBE_NODE_SELECTOR: 'codeyard.dev/pool=repls', CODEYARD_KUBE_TOLERATIONS: 'codeyard.dev/repls:NoSchedule,pool=repls:NoExecute' }));
    for (const repl of [true, false]) {
      const { spec } = replObjects(request(await manifestOf('node'), repl), pool).pod;
      assert.deepEqual(spec!.nodeSelector, { 'codeyard.dev/pool': 'repls' });
      assert.deepEqual(spec!.tolerations, [
        { key: 'codeyard.dev/repls', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'pool', operator: 'Equal', value: 'repls', effect: 'NoExecute' },
      ]);
    }
    const anywhere = replObjects(request(await manifestOf('node')), defaults).pod.spec!;
    assert.equal(anywhere.nodeSelector, undefined);
    assert.equal(anywhere.tolerations, undefined);
  });

  it('refuses bad CODEYARD_KUBE_* settings with a message naming the variable', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ CODEYARD_KUBE_CLUSTER_CIDRS: '10.96.0.0/33' }, /CODEYARD_KUBE_CLUSTER_CIDRS must be .*CIDRs/],
      [{ CODEYARD_KUBE_BLOCKED_CIDRS: 'private' }, /CODEYARD_KUBE_BLOCKED_CIDRS/],
      [{ CODEYARD_KUBE_PROXY_SELECTOR: 'app' }, /CODEYARD_KUBE_PROXY_SELECTOR must be labels/],
      [{ CODEYARD_KUBE_NAMESPACE: 'Repls_1' }, /CODEYARD_KUBE_NAMESPACE must be a Kubernetes name/],
      [{ CODEYARD_KUBE_IMAGE_PREFIX: 'registry.example.com' }, /CODEYARD_KUBE_IMAGE_PREFIX must end with/],
      [{ CODEYARD_KUBE_RELAY_URL: 'ftp://x' }, /CODEYARD_KUBE_RELAY_URL/],
      [{ CODEYARD_KUBE_GRACE_SECONDS: '1' }, /CODEYARD_KUBE_GRACE_SECONDS must be a whole number from 10/],
      [{ CODEYARD_RUNTIME: 'docker' }, /CODEYARD_RUNTIME must be process or kubernetes/],
      [{ CODEYARD_KUBE_NODE_SELECTOR: 'pool' }, /CODEYARD_KUBE_NODE_SELECTOR must be node labels like codeyard.dev\/pool=repls .*got "pool"/],
      [{ CODEYARD_KUBE_NODE_SELECTOR: 'a=b=c' }, /CODEYARD_KUBE_NODE_SELECTOR must be node labels/],
      [{ CODEYARD_KUBE_TOLERATIONS: 'pool=repls:NoScheduled' }, /CODEYARD_KUBE_TOLERATIONS: "pool=repls:NoScheduled" has effect "NoScheduled" \(NoSchedule, PreferNoSchedule, NoExecute\)/],
      [{ CODEYARD_KUBE_TOLERATIONS: '=repls:NoSchedule' }, /CODEYARD_KUBE_TOLERATIONS: "=repls:NoSchedule" has no key/],
      [{ CODEYARD_KUBE_TOLERATIONS: 'pool:' }, /names no effect/],
      [{ CODEYARD_KUBE_TOLERATIONS: 'bad key!:NoSchedule' }, /not a taint key/],
      [{ CODEYARD_KUBE_TOLERATIONS: '[{"key":"a",' }, /CODEYARD_KUBE_TOLERATIONS: the value is not valid JSON/],
      [{ CODEYARD_KUBE_TOLERATIONS: '{"key":"a"}' }, /key\[=value\]\[:Effect\]/],
      [{ CODEYARD_KUBE_TOLERATIONS: '[{"key":"a","operator":"In"}]' }, /entry 0 has operator "In" \(Exists or Equal\)/],
      [{ CODEYARD_KUBE_TOLERATIONS: '[{"key":"a","operator":"Exists","value":"b"}]' }, /entry 0 gives a value with operator Exists/],
      [{ CODEYARD_KUBE_TOLERATIONS: '[{"key":"a","effect":"NoSchedule","tolerationSeconds":5}]' }, /tolerationSeconds.*NoExecute only/],
      [{ CODEYARD_KUBE_TOLERATIONS: '[{"key":"a","colour":"red"}]' }, /entry 0 has an unknown field "colour"/],
      [{ CODEYARD_KUBE_TOLERATIONS: '[{"operator":"Equal","value":"x"}]' }, /entry 0 has no key/],
    ];
    for (const [env, message] of cases) assert.throws(() => loadConfig(env), message, JSON.stringify(env));
  });
});
