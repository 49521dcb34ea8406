import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { LABELS } from '../../src/runtime/kubernetes/pod-layout.js';
import { type KubeHarness, kubeHarness, manifest, NAMESPACE } from '../helpers/kube-harness.js';

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`not within ${ms} ms: ${what}`);
}

const podOf = (h: KubeHarness, repl: string): string | undefined => h.double.list('pods', NAMESPACE).find((p) => p.metadata.labels?.[LABELS.repl] === repl)?.metadata.name;

describe('kubernetes runtime: restarts, watch reconnects and API errors (on the API double)', () => {
  let h: KubeHarness;
  before(async () => {
    h = await kubeHarness();
  });
  after(() => h.close());

  it('a restarted portal finds the running pods by their labels: running, reachable, stoppable with the files saved', async () => {
    const spec = await h.newSpec();
    await h.runtime.start(spec);
    const relayPort = (h.runtime.relay.server.address() as { port: number }).port;
    await h.runtime.close();
    assert.ok(podOf(h, spec.id), 'closing the portal leaves the repl pod running');
    // The relay's address is a Service's in a cluster: the next portal serves it at the same one.
    const next = await h.openRuntime({ relayListen: { port: relayPort, host: '127.0.0.1' } });
    const recovered = await next.recover(async (id) => (id === spec.id ? spec : undefined));
    assert.deepEqual(recovered.adopted, [spec.id]);
    assert.equal(next.status(spec.id).state, 'running');
    assert.ok(next.endpoints(spec.id), 'reachable through the new portal');
    assert.equal((await next.exec(spec.id, { command: 'true' })).exitCode, 0);
    const agent = h.agents.agents.get(podOf(h, spec.id)!)!;
    fs.writeFileSync(path.join(agent.workspace, 'after-restart.js'), 'x\n');
    await next.stop(spec.id);
    assert.ok((await h.workspaces.manifest(spec.workspacePrefix)).entries['after-restart.js']);
    h.runtime = next;
  });

  it('at recovery, deletes pods of repls that no longer exist and Secrets or NetworkPolicies left without a pod', async () => {
    const gone = await h.newSpec();
    await h.runtime.start(gone);
    const pod = podOf(h, gone.id)!;
    const labels = { 'app.kubernetes.io/managed-by': 'codeyard', 'app.kubernetes.io/component': 'repl' };
    // Leftovers of a portal that died between two creates, an hour ago.
    h.double.objects.set(`secrets/${NAMESPACE}/codeyard-000000000000`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'codeyard-000000000000', namespace: NAMESPACE, labels, creationTimestamp: new Date(Date.now() - 3600_000).toISOString() } });
    // A start under way on another replica: its policy and Secret are made, its pod not yet.
    const policy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'codeyard-111111111111', namespace: NAMESPACE, labels, creationTimestamp: new Date().toISOString() }, spec: { podSelector: {} } };
    h.double.objects.set(`networkpolicies/${NAMESPACE}/codeyard-111111111111`, policy);
    h.double.objects.set(`secrets/${NAMESPACE}/codeyard-111111111111`, { apiVersion: 'v1', kind: 'Secret', metadata: { ...policy.metadata, labels } });
    const recovered = await h.runtime.recover(async () => undefined);
    assert.deepEqual(recovered.adopted, []);
    await until('the pod of a deleted repl is gone', () => !h.double.get('pods', NAMESPACE, pod));
    assert.equal(h.double.get('secrets', NAMESPACE, 'codeyard-000000000000'), undefined);
    assert.ok(h.double.get('networkpolicies', NAMESPACE, 'codeyard-111111111111'), "a start under way keeps its NetworkPolicy: its pod must never run without one");
    assert.ok(h.double.get('secrets', NAMESPACE, 'codeyard-111111111111'));
    h.double.objects.delete(`networkpolicies/${NAMESPACE}/codeyard-111111111111`);
    h.double.objects.delete(`secrets/${NAMESPACE}/codeyard-111111111111`);
  });

  it("leaves another replica's young warm pod at recovery, and deletes one left for over half an hour", async () => {
    const warm = (name: string, createdAt: string) => {
      const labels = { 'app.kubernetes.io/managed-by': 'codeyard', 'app.kubernetes.io/component': 'repl', [LABELS.sandbox]: name.slice(9), [LABELS.stack]: 'node', [LABELS.warm]: 'true' };
      return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NAMESPACE, labels, creationTimestamp: createdAt }, status: { phase: 'Running', podIP: '127.0.0.9' } };
    };
    const other = await h.openRuntime();
    h.double.objects.set(`pods/${NAMESPACE}/codeyard-aaaaaaaaaaaa`, warm('codeyard-aaaaaaaaaaaa', new Date().toISOString()));
    h.double.objects.set(`pods/${NAMESPACE}/codeyard-bbbbbbbbbbbb`, warm('codeyard-bbbbbbbbbbbb', new Date(Date.now() - 3600_000).toISOString()));
    const fresh = await h.openRuntime();
    await fresh.recover(async () => undefined);
    assert.ok(h.double.get('pods', NAMESPACE, 'codeyard-aaaaaaaaaaaa'), 'a young warm pod may be in another replica’s pool');
    await until('the old one is deleted', () => !h.double.get('pods', NAMESPACE, 'codeyard-bbbbbbbbbbbb'));
    h.double.objects.delete(`pods/${NAMESPACE}/codeyard-aaaaaaaaaaaa`);
    await fresh.close();
    await other.close();
  });

  it('a start waits while the repl’s previous pod still saves its files (stopped from another portal)', async () => {
    const spec = await h.newSpec();
    await h.runtime.start(spec);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const kubelet = h.double.onPodDelete!;
    h.double.onPodDelete = async (pod, grace) => {
      await held;
      await kubelet(pod, grace);
    };
    const other = await h.openRuntime();
    const stopping = other.stop(spec.id);
    await until('the old pod is ending', () => h.runtime.watcher.all().some((v) => v.repl === spec.id && v.terminating));
    const steps: string[] = [];
    h.runtime.watch((id, status) => id === spec.id && status.step && steps.push(status.step));
    const starting = h.runtime.start(spec);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(h.double.list('pods', NAMESPACE).filter((p) => p.metadata.labels?.[LABELS.repl] === spec.id).length, 1, 'no second pod while the first saves');
    assert.ok(steps.includes('waiting for the previous pod to save its files'));
    release();
    await stopping;
    await starting;
    h.double.onPodDelete = kubelet;
    assert.equal(h.runtime.status(spec.id).state, 'running');
    await h.runtime.stop(spec.id);
    await other.close();
  });

  it('follows pods again after the watch ends (reopened from the last resourceVersion, no new list)', async () => {
    const spec = await h.newSpec();
    await h.runtime.start(spec);
    const { lists } = h.runtime.watcher.counts;
    h.double.dropWatches();
    await until('the watch is open again', () => h.runtime.watcher.counts.watches > 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The kubelet reports the pod not ready any more: seen through the new watch.
    const name = podOf(h, spec.id)!;
    const ip = h.agents.agents.get(name)!.ip;
    h.double.markRunning(NAMESPACE, name, ip, false);
    await until('the repl follows its pod', () => h.runtime.status(spec.id).state === 'starting');
    h.double.markRunning(NAMESPACE, name, ip, true);
    await until('running again', () => h.runtime.status(spec.id).state === 'running');
    assert.equal(h.runtime.watcher.counts.lists, lists, 'a watch reopened from its version needs no list');
    await h.runtime.stop(spec.id);
  });

  it('starts over with a new list when the server no longer has the history (410 Gone), and misses no change made meanwhile', async () => {
    const spec = await h.newSpec();
    await h.runtime.start(spec);
    const { lists } = h.runtime.watcher.counts;
    const name = podOf(h, spec.id)!;
    // The watch ends, the server compacts its history, and the pod went away meanwhile (no event
    // left to replay): the watch reopened from the old version gets 410, and only a list tells.
    h.double.objects.delete(`pods/${NAMESPACE}/${name}`);
    h.double.compact();
    h.double.dropWatches();
    await until('the relist saw the pod gone', () => h.runtime.status(spec.id).state === 'stopped', 15_000);
    assert.equal(h.runtime.watcher.counts.lists, lists + 1, 'listed again, once');
    assert.equal(h.runtime.endpoints(spec.id), undefined);
  });

  it('shows a repl started by another portal replica: its status follows the pod on this one too', async () => {
    const other = await h.openRuntime();
    const spec = await h.newSpec();
    await other.start(spec);
    await until('this portal sees it running', () => h.runtime.status(spec.id).state === 'running');
    assert.ok(h.runtime.endpoints(spec.id));
    await other.stop(spec.id);
    await until('and stopped', () => h.runtime.status(spec.id).state === 'stopped');
    await other.close();
  });

  it('turns API refusals into messages that say what to do: 403, 422, 409, 404, unreachable', async () => {
    const spec = await h.newSpec();
    h.double.failNext('POST', 'pods', 403, 'pods is forbidden: User "system:serviceaccount:codeyard:portal" cannot create resource "pods"');
    await assert.rejects(h.runtime.start(spec), (err: unknown) => err instanceof AppError && /may not create pods in namespace codeyard-repls \(403 Forbidden: its service account needs a Role/.test(err.message) && /cannot create resource "pods"/.test(err.message));
    assert.match(h.runtime.status(spec.id).error ?? '', /403/);
    h.double.failNext('POST', 'secrets', 422, 'Secret "x" is invalid: data[agent.json]: Too long');
    await assert.rejects(h.runtime.start(spec), /refused the object to create secrets .* as invalid \(422\): Secret "x" is invalid/);
    await until('nothing left of the failed starts', () => !h.double.list('pods', NAMESPACE).some((p) => p.metadata.labels?.[LABELS.repl] === spec.id) && !h.double.list('networkpolicies', NAMESPACE).some((p) => p.metadata.labels?.[LABELS.repl] === spec.id));
    // A create answered 409 (a retry of a create that had gone through) is taken as made.
    h.double.failNext('POST', 'networkpolicies', 409, 'networkpolicies "x" already exists');
    await h.runtime.start(spec);
    assert.equal(h.runtime.status(spec.id).state, 'running');
    // A pod deleted behind the driver's back (404 on delete) still ends in stopped.
    h.double.failNext('DELETE', 'pods', 404, 'pods "x" not found');
    h.double.objects.delete(`pods/${NAMESPACE}/${podOf(h, spec.id)!}`);
    await h.runtime.stop(spec.id);
    assert.equal(h.runtime.status(spec.id).state, 'stopped');
    await h.double.stop();
    try {
      await assert.rejects(h.runtime.start(await h.newSpec()), /the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ does not answer \(ECONNREFUSED\)/);
    } finally {
      await h.double.start();
    }
  });

  it('keeps a warm pod per stack; a create takes it: relabelled as the repl’s, activated with the repl’s credential, files restored; the pool refills', async () => {
    h.runtime.warmPool([manifest], 1);
    const warmPods = (): string[] => h.double.list('pods', NAMESPACE).filter((p) => p.metadata.labels?.[LABELS.warm] === 'true').map((p) => p.metadata.name);
    await until('a warm pod is ready', () => h.runtime.warmCounts().node === 1);
    const [warm] = warmPods();
    assert.equal(h.double.get('pods', NAMESPACE, warm!)?.metadata.labels?.[LABELS.repl], undefined);
    const handle = h.runtime.takeWarm('node')!;
    const spec = await h.newSpec();
    h.runtime.adoptWarm(handle, spec.id);
    await h.runtime.start(spec);
    const labels = h.double.get('pods', NAMESPACE, warm!)!.metadata.labels!;
    assert.equal(labels[LABELS.repl], spec.id);
    assert.equal(labels[LABELS.owner], spec.owner);
    assert.equal(labels[LABELS.warm], undefined);
    const agent = h.agents.agents.get(warm!)!;
    assert.equal(agent.activations, 1);
    assert.ok(fs.existsSync(path.join(agent.workspace, 'index.js')), 'restored after activation');
    const secret = JSON.parse(Buffer.from((h.double.get('secrets', NAMESPACE, warm!)!.data as Record<string, string>)['agent.json']!, 'base64').toString()) as { sync?: { token?: string }; pooled?: boolean };
    assert.ok(secret.sync?.token?.startsWith(`${spec.id}.`), "the Secret now holds the repl's config");
    await until('the pool refilled', () => h.runtime.warmCounts().node === 1 && warmPods().length === 1);
    h.runtime.warmPool([manifest], 0);
    await h.runtime.stop(spec.id);
  });
});
