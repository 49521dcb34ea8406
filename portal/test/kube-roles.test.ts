import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createCodeyard } from '../src/codeyard.js';
import { loadConfig } from '../src/config.js';
import { KubernetesRuntime } from '../src/runtime/kubernetes/kube-runtime.js';
import { LABELS } from '../src/runtime/kubernetes/pod-layout.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { freePort } from './helpers/http.js';
import { KubeApiDouble } from './helpers/kube-api-double.js';
import { NAMESPACE } from './helpers/kube-harness.js';
import { repoTemplates } from './helpers/memory-repls.js';

/**
 * createCodeyard as `npm start` and the chart's Deployments run it with CODEYARD_RUNTIME=kubernetes,
 * the cluster being the Kubernetes API double (through KUBECONFIG, as outside a cluster): nothing
 * of the process runtime happens (no code-server download, no host checks), and a proxy replica
 * (CODEYARD_ROLE=proxy) acts on no pod by itself, where a portal replica recovers and keeps a pool.
 */

const MANAGED = { 'app.kubernetes.io/managed-by': 'codeyard', 'app.kubernetes.io/component': 'repl' };
const messages = (lines: string[]): string[] => lines.map((l) => String((JSON.parse(l) as { msg?: string }).msg));
const HOUR_AGO = () => new Date(Date.now() - 3600_000).toISOString();

describe('the portal on the kubernetes runtime (API double): what each role does at start', () => {
  const double = new KubeApiDouble();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-kube-roles-'));
  const savedKubeconfig = process.env.KUBECONFIG;

  before(async () => {
    await double.start();
    const file = path.join(dir, 'kubeconfig');
    fs.writeFileSync(file, double.kubeConfig().exportConfig());
    process.env.KUBECONFIG = file;
  });
  after(async () => {
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
    await double.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Another replica's warm pod, an hour old, and an hour-old leftover Secret: what recovery removes. */
  function leftovers(): void {
    const labels = { ...MANAGED, [LABELS.sandbox]: 'aaaaaaaaaaaa', [LABELS.stack]: 'node', [LABELS.warm]: 'true' };
    double.objects.set(`pods/${NAMESPACE}/codeyard-aaaaaaaaaaaa`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'codeyard-aaaaaaaaaaaa', namespace: NAMESPACE, labels, creationTimestamp: HOUR_AGO() }, status: { phase: 'Running', podIP: '127.0.0.9' } });
    double.objects.set(`secrets/${NAMESPACE}/codeyard-bbbbbbbbbbbb`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'codeyard-bbbbbbbbbbbb', namespace: NAMESPACE, labels: MANAGED, creationTimestamp: HOUR_AGO() } });
  }

  async function start(role: 'all' | 'proxy') {
    const data = fs.mkdtempSync(path.join(dir, `${role}-data-`));
    const cache = path.join(dir, `${role}-cache`);
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const env = { PORT: String(await freePort()), CODEYARD_DATA: data, CODEYARD_CACHE: cache, CODEYARD_RUNTIME: 'kubernetes', CODEYARD_ROLE: role, CODEYARD_KUBE_NAMESPACE: NAMESPACE, CODEYARD_KUBE_RELAY_PORT: String(await freePort()), CODEYARD_WARM_POOL: '1' };
    const templates = (await repoTemplates()).filter((t) => t.manifest.id === 'node');
    const codeyard = await createCodeyard(loadConfig(env), { store: new MemoryStore(), templates, log });
    await codeyard.startBackground();
    return { codeyard, data, cache, lines };
  }

  const warmPods = (): string[] => double.list('pods', NAMESPACE).filter((p) => p.metadata.labels?.[LABELS.warm] === 'true').map((p) => p.metadata.name);

  it('a proxy replica downloads nothing, checks no host, deletes no pod and keeps no warm pool', async () => {
    leftovers();
    const { codeyard, data, cache, lines } = await start('proxy');
    try {
      assert.ok(codeyard.runtime instanceof KubernetesRuntime);
      assert.equal(codeyard.provisioner, undefined, 'no code-server installer: the images hold code-server');
      assert.equal(fs.existsSync(cache), false, 'nothing was downloaded into the cache');
      assert.equal(fs.existsSync(path.join(data, 'repls')), false, 'no repl folders on this machine');
      assert.deepEqual(messages(lines).filter((m) => /repl isolation|bubblewrap|code-server/.test(m)), [], 'no host checks of the process runtime');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(warmPods(), ['codeyard-aaaaaaaaaaaa'], "another replica's warm pod stays, and no pool of its own");
      assert.ok(double.get('secrets', NAMESPACE, 'codeyard-bbbbbbbbbbbb'), 'recovery is the portal replicas’ work');
    } finally {
      await codeyard.close();
    }
  });

  it('a portal replica (role all) recovers: the old warm pod and the leftover go; it keeps its own pool; still no download', async () => {
    leftovers();
    const { codeyard, cache, lines } = await start('all');
    try {
      assert.equal(codeyard.provisioner, undefined);
      assert.equal(fs.existsSync(cache), false);
      assert.deepEqual(messages(lines).filter((m) => /repl isolation|bubblewrap|code-server/.test(m)), []);
      for (const deadline = Date.now() + 8000; Date.now() < deadline && (double.get('pods', NAMESPACE, 'codeyard-aaaaaaaaaaaa') || warmPods().length === 0); ) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(double.get('pods', NAMESPACE, 'codeyard-aaaaaaaaaaaa'), undefined, 'the hour-old warm pod nobody holds is deleted');
      assert.equal(double.get('secrets', NAMESPACE, 'codeyard-bbbbbbbbbbbb'), undefined, 'the leftover Secret is deleted');
      assert.equal(warmPods().length, 1, 'its own warm pod for the node stack');
    } finally {
      await codeyard.close();
    }
  });

  it('CODEYARD_ROLE=proxy is refused with the process runtime, which a proxy alone cannot reach', () => {
    assert.throws(() => loadConfig({ CODEYARD_ROLE: 'proxy' }), /CODEYARD_ROLE=proxy needs CODEYARD_RUNTIME=kubernetes/);
    assert.throws(() => loadConfig({ CODEYARD_ROLE: 'edge', CODEYARD_RUNTIME: 'kubernetes' }), /CODEYARD_ROLE must be all or proxy/);
  });
});
