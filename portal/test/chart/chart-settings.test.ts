import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { SETTINGS } from '../../src/config-table.js';
import { find, type K8sObject, one, render, renderText, standinMissing } from './render.js';

/**
 * What the chart hands the portal (settings, secrets), what it does for repl nodes (pre-puller,
 * placeholders), and the messages a wrong install gets from the templates themselves.
 */

type Obj = Record<string, any>; // rendered YAML: checked field by field
const missing = await standinMissing();
const skip = missing && !process.env.CI ? `chart not rendered: ${missing}` : false;
// CODEYARD_S3_SECRET_ACCESS_KEY is read with CODEYARD_S3_ACCESS_KEY_ID and documented in its row.
const KNOWN = new Set([...Object.values(SETTINGS).flatMap((s) => s.vars.map((v) => v.name)), 'CODEYARD_S3_SECRET_ACCESS_KEY']);
const SECRET_KEYS = ['CODEYARD_SIGNING_KEY', 'CODEYARD_DATABASE_URL', 'CODEYARD_ADMIN_TOKEN', 'CODEYARD_S3_ACCESS_KEY_ID', 'CODEYARD_S3_SECRET_ACCESS_KEY'];

async function valuesFile(text: string): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'cy-chart-values-')), 'values.yaml');
  await writeFile(file, text);
  return file;
}
const MINIMAL = 'minimal-values.yaml';

describe('the chart configures the portal and the repl nodes', { skip }, () => {
  let minimal: K8sObject[], ha: K8sObject[], existing: K8sObject[];
  before(async () => {
    [minimal, ha, existing] = await Promise.all([render({ values: [MINIMAL] }), render({ values: ['ha-tls-values.yaml'] }), render({ values: ['existing-secret-values.yaml'] })]);
  });

  test('every setting in the ConfigMap and the Secret is one the portal reads', () => {
    for (const objects of [minimal, ha]) {
      const names = [...Object.keys((one(objects, 'ConfigMap', 'demo-codeyard') as Obj).data), ...Object.keys((one(objects, 'Secret', 'demo-codeyard-secrets') as Obj).stringData)];
      for (const name of names) assert.ok(KNOWN.has(name), `${name} is not a Codeyard setting`);
    }
  });

  test("the kubernetes runtime's readers accept what the chart sets: the proxy and portal pods as its peers", () => {
    for (const objects of [minimal, ha]) {
      const env = { ...(one(objects, 'ConfigMap', 'demo-codeyard') as Obj).data, ...(one(objects, 'Secret', 'demo-codeyard-secrets') as Obj).stringData };
      assert.equal(SETTINGS.runtime.read(env), 'kubernetes');
      const kube = SETTINGS.kube.read(env);
      assert.deepEqual(kube.proxySelector, (one(objects, 'Deployment', 'demo-codeyard-proxy') as Obj).spec.template.metadata.labels);
      assert.deepEqual(kube.portalSelector, (one(objects, 'Deployment', 'demo-codeyard-portal') as Obj).spec.template.metadata.labels);
    }
  });

  test('the ConfigMap sets the kubernetes runtime up for this release: namespaces, images, relay, the proxy and portal pods as the only peers', () => {
    const data = (one(ha, 'ConfigMap', 'demo-codeyard') as Obj).data;
    assert.equal(data.CODEYARD_RUNTIME, 'kubernetes');
    assert.equal(data.CODEYARD_KUBE_CONTROL_NAMESPACE, 'codeyard');
    assert.equal(data.CODEYARD_KUBE_IMAGE_PREFIX, 'registry.example.com/codeyard/');
    assert.equal(data.CODEYARD_KUBE_IMAGE_TAG, '1.2.3');
    assert.equal(data.CODEYARD_STORE, 's3://codeyard-test/prod');
    assert.equal(data.CODEYARD_MAX_RUNNING_PER_ACCOUNT, '5', 'config entries pass through');
    const proxyPods = (one(ha, 'Deployment', 'demo-codeyard-proxy') as Obj).spec.template.metadata.labels;
    assert.deepEqual(Object.fromEntries(data.CODEYARD_KUBE_PROXY_SELECTOR.split(',').map((p: string) => p.split('='))), proxyPods);
    const portal = one(ha, 'Service', 'demo-codeyard-portal') as Obj;
    const relay = portal.spec.ports.find((p: Obj) => p.name === 'relay');
    assert.equal(data.CODEYARD_KUBE_RELAY_URL, `http://demo-codeyard-portal.codeyard.svc:${relay.port}`);
    assert.ok((one(ha, 'Deployment', 'demo-codeyard-portal') as Obj).spec.template.spec.containers[0].ports.some((p: Obj) => p.name === 'relay' && p.containerPort === relay.port));
    assert.ok(!(one(ha, 'Service', 'demo-codeyard-proxy') as Obj).spec.ports.some((p: Obj) => p.name === 'relay'), 'the proxy serves no relay');
  });

  test('secrets stay out of the ConfigMap; both Deployments read the Secret, or the existing one', () => {
    for (const objects of [minimal, ha]) {
      const data = (one(objects, 'ConfigMap', 'demo-codeyard') as Obj).data;
      for (const key of SECRET_KEYS) assert.equal(data[key], undefined, key);
    }
    const secret = (one(ha, 'Secret', 'demo-codeyard-secrets') as Obj).stringData;
    assert.deepEqual(Object.keys(secret).sort(), [...SECRET_KEYS].sort());
    assert.deepEqual(Object.keys((one(minimal, 'Secret', 'demo-codeyard-secrets') as Obj).stringData).sort(), ['CODEYARD_DATABASE_URL', 'CODEYARD_SIGNING_KEY'], 'no empty S3 keys: the pod identity is used');
    assert.deepEqual(find(existing, 'Secret'), []);
    for (const [objects, name] of [[minimal, 'demo-codeyard-secrets'], [existing, 'codeyard-managed']] as const) {
      for (const d of ['demo-codeyard-portal', 'demo-codeyard-proxy']) {
        assert.deepEqual((one(objects, 'Deployment', d) as Obj).spec.template.spec.containers[0].envFrom, [{ configMapRef: { name: 'demo-codeyard' } }, { secretRef: { name } }]);
      }
    }
  });

  test('only the portal replicas act on repls by themselves (warm pool, recovery, idle stop); the proxy replicas run as CODEYARD_ROLE=proxy', () => {
    assert.equal((one(ha, 'ConfigMap', 'demo-codeyard') as Obj).data.CODEYARD_WARM_POOL, '2');
    assert.deepEqual((one(ha, 'Deployment', 'demo-codeyard-proxy') as Obj).spec.template.spec.containers[0].env, [{ name: 'CODEYARD_ROLE', value: 'proxy' }]);
    assert.equal((one(ha, 'Deployment', 'demo-codeyard-portal') as Obj).spec.template.spec.containers[0].env, undefined);
    assert.equal(SETTINGS.role.read({ ...(one(ha, 'ConfigMap', 'demo-codeyard') as Obj).data, CODEYARD_ROLE: 'proxy' }), 'proxy');
  });

  test('the pre-puller pulls every stack image, named as `npm run images` names them, where repls run', () => {
    const spec = (one(ha, 'DaemonSet', 'demo-codeyard-pre-puller') as Obj).spec.template.spec;
    assert.deepEqual(spec.initContainers.map((c: Obj) => c.image), ['node', 'python', 'react', 'go', 'rust', 'static'].map((s) => `registry.example.com/codeyard/codeyard-${s}:1.2.3`));
    assert.ok(spec.initContainers.every((c: Obj) => c.command[0] === 'true'), 'the image only has to be there: the agent is not started');
    assert.deepEqual(spec.imagePullSecrets, [{ name: 'registry-login' }]);
    assert.deepEqual(spec.nodeSelector, { 'codeyard.dev/pool': 'repls' });
    assert.equal(spec.automountServiceAccountToken, false);
    assert.deepEqual(find(existing, 'DaemonSet'), [], 'prePuller.enabled: false');
  });

  test('repl pods run where the pre-puller pulls their images and placeholders hold room: the same replNodes, read by the runtime', () => {
    const env = (one(ha, 'ConfigMap', 'demo-codeyard') as Obj).data;
    const kube = SETTINGS.kube.read(env);
    const prePuller = (one(ha, 'DaemonSet', 'demo-codeyard-pre-puller') as Obj).spec.template.spec;
    const placeholder = (one(ha, 'Deployment', 'demo-codeyard-placeholder') as Obj).spec.template.spec;
    assert.deepEqual(kube.nodeSelector, { 'codeyard.dev/pool': 'repls' });
    assert.deepEqual(kube.nodeSelector, prePuller.nodeSelector);
    assert.deepEqual(kube.nodeSelector, placeholder.nodeSelector);
    assert.deepEqual(kube.tolerations, [{ key: 'codeyard.dev/repls', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.deepEqual(kube.tolerations, placeholder.tolerations);
    assert.deepEqual(kube.tolerations, prePuller.tolerations);
    const none = (one(minimal, 'ConfigMap', 'demo-codeyard') as Obj).data;
    assert.equal(none.CODEYARD_KUBE_NODE_SELECTOR, undefined, 'no replNodes: any node');
    assert.equal(none.CODEYARD_KUBE_TOLERATIONS, undefined);
  });

  test('several node labels and every toleration field reach the runtime as the chart was given them', async () => {
    const objects = await render({ values: [MINIMAL, await valuesFile(`replNodes:
  nodeSelector: { codeyard.dev/pool: repls, kubernetes.io/arch: amd64 }
  tolerations:
    - { key: codeyard.dev/repls, operator: Equal, value: "yes", effect: NoExecute, tolerationSeconds: 30 }
    - { operator: Exists }
`)] });
    const kube = SETTINGS.kube.read((one(objects, 'ConfigMap', 'demo-codeyard') as Obj).data);
    assert.deepEqual(kube.nodeSelector, { 'codeyard.dev/pool': 'repls', 'kubernetes.io/arch': 'amd64' });
    assert.deepEqual(kube.tolerations, [{ key: 'codeyard.dev/repls', operator: 'Equal', value: 'yes', effect: 'NoExecute', tolerationSeconds: 30 }, { operator: 'Exists' }]);
  });

  test('placeholders hold room below every real pod and never preempt anything themselves', () => {
    const pc = one(ha, 'PriorityClass', 'demo-codeyard-placeholder') as Obj;
    assert.ok(pc.value < 0 && pc.preemptionPolicy === 'Never' && pc.globalDefault === false);
    assert.ok(pc.value >= -10, 'not expendable for the cluster autoscaler (its default cutoff is -10), or Pending placeholders would add no node');
    const deployment = one(ha, 'Deployment', 'demo-codeyard-placeholder') as Obj;
    assert.equal(deployment.spec.replicas, 4);
    assert.equal(deployment.spec.template.spec.priorityClassName, 'demo-codeyard-placeholder');
    assert.deepEqual(deployment.spec.template.spec.containers[0].resources.requests, { cpu: '1', memory: '2Gi' });
    assert.deepEqual(deployment.spec.template.spec.tolerations, [{ key: 'codeyard.dev/repls', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.deepEqual([...find(minimal, 'PriorityClass'), ...find(existing, 'PriorityClass')], [], 'off by default');
  });

  test('a budget only where replicas can spare one: none for single replicas', () => {
    assert.deepEqual(find(minimal, 'PodDisruptionBudget').map((p) => p.metadata.name), ['demo-codeyard-portal', 'demo-codeyard-proxy']);
    assert.deepEqual(find(existing, 'PodDisruptionBudget'), []);
    assert.equal((one(ha, 'PodDisruptionBudget', 'demo-codeyard-portal') as Obj).spec.minAvailable, 2);
  });

  test('a wrong install stops with a message saying what to set', async () => {
    // [values, expected message, on top of the minimal install?]
    const cases: [string, RegExp, boolean][] = [
      ['{}', /store\.bucket is required/, false],
      ['store: { bucket: bucket-1 }', /domain is required, e\.g\. codeyard\.example\.com/, false],
      ['secrets: { signingKey: null }', /secrets\.signingKey is required \(openssl rand -hex 32\), or name a Secret in secrets\.existingSecret/, true],
      ['proxy: { hpa: { enabled: true, minReplicas: 5, maxReplicas: 3 } }', /proxy\.hpa\.minReplicas \(5\) is above proxy\.hpa\.maxReplicas \(3\)/, true],
      ['portal: { hpa: { enabled: true }, resources: { requests: null } }', /portal\.hpa needs portal\.resources\.requests\.cpu/, true],
      ['secrets: { s3AccessKeyId: KEY }', /secrets\.s3SecretAccessKey goes with secrets\.s3AccessKeyId/, true],
    ];
    for (const [values, message, onMinimal] of cases) {
      const files = [...(onMinimal ? [MINIMAL] : []), await valuesFile(values)];
      await assert.rejects(renderText('standin', { values: files }), message, values);
    }
  });

  test('NOTES.txt tells where Codeyard answers and which DNS names to point at the ingress', async () => {
    const notes = await renderText('standin', { values: ['ha-tls-values.yaml'] }, ['--notes']);
    assert.match(notes, /Portal: +https:\/\/codeyard\.example\.com/);
    assert.match(notes, /\*\.codeyard\.example\.com and \*\.codeyard-apps\.example\.net/);
  });
});
