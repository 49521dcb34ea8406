import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { validateObject } from './k8s-schemas.js';
import { find, helmAvailable, type K8sObject, one, parseObjects, render, renderText, standinMissing, variants } from './render.js';

/**
 * charts/codeyard rendered with every value file under ci/ (minimal, HA with TLS + HPA +
 * placeholders, existing Secret with the optional parts off): every object valid against the
 * official Kubernetes schemas, and the wiring between objects right. Rendered by helm-standin
 * (Helm's template engine: Go text/template + sprig) and, where helm is installed, by helm too.
 */

type Obj = Record<string, any>; // rendered YAML: checked field by field
const missing = await standinMissing();
const helm = await helmAvailable();
// CI installs Go and sprig (.ci/run): there a missing renderer is a failure, not a skip.
const skip = missing && !process.env.CI ? `chart not rendered: ${missing}` : false;
// The API versions the chart may use: GA on every Kubernetes the chart allows (kubeVersion >= 1.25).
const GA = new Set(['v1', 'apps/v1', 'policy/v1', 'autoscaling/v2', 'networking.k8s.io/v1', 'rbac.authorization.k8s.io/v1', 'scheduling.k8s.io/v1']);

const podSpecs = (objects: K8sObject[]): [string, Obj][] =>
  objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet').map((o) => [`${o.kind}/${o.metadata.name}`, (o as Obj).spec.template.spec]);
const labelsMatch = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('the Helm chart renders valid Kubernetes objects', { skip }, () => {
  const rendered = new Map<string, K8sObject[]>();
  before(async () => {
    for (const file of await variants()) rendered.set(file, await render({ values: [file] }));
  });

  test('there are the three variants the chart is tested with', () => {
    assert.deepEqual([...rendered.keys()], ['existing-secret-values.yaml', 'ha-tls-values.yaml', 'minimal-values.yaml']);
  });

  test('every object of every variant is valid against the Kubernetes schemas, with no unknown field, on a GA API version', async () => {
    for (const [file, objects] of rendered) {
      for (const object of objects) {
        const where = `${file}: ${object.kind}/${object.metadata?.name}`;
        assert.ok(GA.has(object.apiVersion), `${where} uses ${object.apiVersion}`);
        assert.deepEqual(await validateObject(object), [], where);
      }
    }
  });

  test('helm itself renders the same objects as the stand-in', { skip: !helm && 'helm is not on PATH' }, async () => {
    for (const file of await variants()) {
      assert.deepEqual(parseObjects(await renderText('helm', { values: [file] })), rendered.get(file), file);
    }
  });

  test('every pod meets the restricted Pod Security Standard', () => {
    for (const [file, objects] of rendered) {
      for (const [name, spec] of podSpecs(objects)) {
        assert.equal(spec.securityContext.runAsNonRoot, true, `${file} ${name}`);
        assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault', `${file} ${name}`);
        for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
          const sc = c.securityContext;
          assert.ok(sc.allowPrivilegeEscalation === false && sc.capabilities.drop.includes('ALL') && sc.readOnlyRootFilesystem === true, `${file} ${name} ${c.name}`);
          assert.ok(c.resources?.limits?.memory, `${file} ${name} ${c.name} has a memory limit`);
        }
      }
    }
  });

  test('selectors of Deployments, Services and PodDisruptionBudgets find their pods; HPAs scale a Deployment of the chart', () => {
    for (const [file, objects] of rendered) {
      const pods = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet').map((o) => (o as Obj).spec.template.metadata.labels);
      for (const o of objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')) {
        assert.ok(labelsMatch((o as Obj).spec.selector.matchLabels, (o as Obj).spec.template.metadata.labels), `${file} ${o.metadata.name}`);
      }
      for (const o of find(objects, 'Service')) assert.equal(pods.filter((l) => labelsMatch((o as Obj).spec.selector, l)).length, 1, `${file} Service ${o.metadata.name}`);
      for (const o of find(objects, 'PodDisruptionBudget')) assert.equal(pods.filter((l) => labelsMatch((o as Obj).spec.selector.matchLabels, l)).length, 1, `${file} PDB ${o.metadata.name}`);
      for (const o of find(objects, 'HorizontalPodAutoscaler')) {
        const target = one(objects, 'Deployment', (o as Obj).spec.scaleTargetRef.name) as Obj;
        assert.equal(target.spec.replicas, undefined, `${file}: an HPA's Deployment leaves replicas to it`);
      }
    }
  });

  test('portal and proxy probe /healthz with the portal host, the only host that answers it', () => {
    const objects = rendered.get('minimal-values.yaml')!;
    for (const name of ['demo-codeyard-portal', 'demo-codeyard-proxy']) {
      const container = (one(objects, 'Deployment', name) as Obj).spec.template.spec.containers[0];
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        assert.equal(container[probe].httpGet.path, '/healthz', `${name} ${probe}`);
        assert.deepEqual(container[probe].httpGet.httpHeaders, [{ name: 'Host', value: 'codeyard.example.com' }], `${name} ${probe}`);
      }
      assert.equal(container.image, 'localhost/codeyard-portal:0.1.0', 'the image `npm run images` tags under podman');
    }
  });

  test('the ingress sends the portal host to the portal and both wildcards to the proxy; TLS covers them all', () => {
    for (const [file, objects] of rendered) {
      const ingress = one(objects, 'Ingress', 'demo-codeyard') as Obj;
      const backends = Object.fromEntries(ingress.spec.rules.map((r: Obj) => [r.host, r.http.paths[0].backend.service.name]));
      assert.deepEqual(backends, { 'codeyard.example.com': 'demo-codeyard-portal', '*.codeyard.example.com': 'demo-codeyard-proxy', '*.codeyard-apps.example.net': 'demo-codeyard-proxy' }, file);
      for (const name of new Set(Object.values(backends))) {
        assert.ok((one(objects, 'Service', name) as Obj).spec.ports.some((p: Obj) => p.name === 'http'), `${file} ${name}`);
      }
    }
    const ha = one(rendered.get('ha-tls-values.yaml')!, 'Ingress', 'demo-codeyard') as Obj;
    assert.equal(ha.metadata.annotations['cert-manager.io/cluster-issuer'], 'letsencrypt-dns');
    assert.deepEqual(ha.spec.tls, [{ secretName: 'demo-codeyard-tls', hosts: ha.spec.rules.map((r: Obj) => r.host) }]);
    assert.equal((one(rendered.get('minimal-values.yaml')!, 'Ingress', 'demo-codeyard') as Obj).spec.tls, undefined);
  });

  test('the portal may touch only pods, services, secrets and network policies, only in the repl namespace', () => {
    for (const [file, objects] of rendered) {
      assert.deepEqual(objects.filter((o) => /^Cluster(Role|RoleBinding)$/.test(o.kind)), [], file);
      const repls = file === 'existing-secret-values.yaml' ? 'repls' : 'codeyard-repls';
      const role = one(objects, 'Role', 'demo-codeyard-repls') as Obj;
      assert.equal(role.metadata.namespace, repls, file);
      const granted = role.rules.flatMap((r: Obj) => r.resources.map((res: string) => `${r.apiGroups[0]}/${res}`)).sort();
      assert.deepEqual(granted, ['/pods', '/secrets', '/services', 'networking.k8s.io/networkpolicies'], file);
      assert.ok(role.rules.every((r: Obj) => !r.resources.some((res: string) => res.includes('/')) && !r.verbs.includes('*')), `${file}: no subresources (exec, log), no wildcards`);
      const binding = one(objects, 'RoleBinding', 'demo-codeyard-repls') as Obj;
      assert.equal(binding.metadata.namespace, repls);
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'demo-codeyard', namespace: 'codeyard' }]);
      for (const name of ['demo-codeyard-portal', 'demo-codeyard-proxy']) {
        assert.equal((one(objects, 'Deployment', name) as Obj).spec.template.spec.serviceAccountName, 'demo-codeyard');
      }
    }
    const ns = one(rendered.get('minimal-values.yaml')!, 'Namespace', 'codeyard-repls');
    assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    assert.deepEqual(find(rendered.get('existing-secret-values.yaml')!, 'Namespace'), [], 'createNamespace: false');
  });
});
