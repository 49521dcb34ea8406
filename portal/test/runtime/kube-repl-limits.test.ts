import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { LABELS } from '../../src/runtime/kubernetes/pod-layout.js';
import { type KubeHarness, kubeHarness, manifest, NAMESPACE } from '../helpers/kube-harness.js';

const MiB = 1024 * 1024;

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`not within ${ms} ms: ${what}`);
}

/** A repl's own memory limit (a class's per-student limit) on the kubernetes runtime, on its API double (KubeApiDouble, fake pod agents). */
describe("kubernetes runtime: a repl's own memory limit (on the API double)", () => {
  let h: KubeHarness;
  before(async () => {
    h = await kubeHarness();
  });
  after(() => h.close());

  const podOf = (replId: string): { name: string; memory: unknown[] } | undefined => {
    const pod = h.double.list('pods', NAMESPACE).find((p) => p.metadata.labels?.[LABELS.repl] === replId && !p.metadata.deletionTimestamp);
    const resources = (pod as V1Pod | undefined)?.spec?.containers[0]?.resources;
    return pod && { name: pod.metadata.name, memory: [resources?.requests?.memory, resources?.limits?.memory] };
  };

  it("makes the pod of a repl with its own limit with that memory, and a plain repl's with the server's", async () => {
    const server = `${h.runtime.describe().limits.memory.value! / MiB}Mi`;
    const limited = { ...(await h.newSpec()), memoryLimitBytes: 512 * MiB };
    const plain = await h.newSpec();
    await h.runtime.start(limited);
    await h.runtime.start(plain);
    assert.deepEqual(podOf(limited.id)?.memory, ['512Mi', '512Mi'], 'requested and limited at its own');
    assert.deepEqual(podOf(plain.id)?.memory, [server, server]);
    await h.runtime.stop(limited.id);
    await h.runtime.stop(plain.id);
  });

  it('does not make a warm pod (made with the server’s limit) the pod of a repl with a lower one: it gets a pod of its own, and the warm one ends', async () => {
    h.runtime.warmPool([manifest], 1);
    const warmPods = (): string[] => h.double.list('pods', NAMESPACE).filter((p) => p.metadata.labels?.[LABELS.warm] === 'true').map((p) => p.metadata.name);
    await until('a warm pod is ready', () => h.runtime.warmCounts().node === 1);
    const [warm] = warmPods();
    const limited = { ...(await h.newSpec()), memoryLimitBytes: 512 * MiB };
    // The repl service asks first (repls/warm-start.ts) and takes none for it; given one anyway, the driver ends it.
    assert.equal(h.runtime.warmFits(limited), false);
    h.runtime.adoptWarm(h.runtime.takeWarm('node')!, limited.id);
    await h.runtime.start(limited);
    const pod = podOf(limited.id)!;
    assert.notEqual(pod.name, warm, 'a pod of its own');
    assert.deepEqual(pod.memory, ['512Mi', '512Mi']);
    await until('the warm pod it was given is deleted', () => !h.double.get('pods', NAMESPACE, warm!));

    // A repl without a limit of its own still takes the warm pod.
    await until('the pool refilled', () => h.runtime.warmCounts().node === 1);
    const [next] = warmPods();
    const plain = await h.newSpec();
    assert.equal(h.runtime.warmFits(plain), true);
    h.runtime.adoptWarm(h.runtime.takeWarm('node')!, plain.id);
    await h.runtime.start(plain);
    assert.equal(podOf(plain.id)?.name, next);
    h.runtime.warmPool([manifest], 0);
    await h.runtime.stop(limited.id);
    await h.runtime.stop(plain.id);
  });
});
