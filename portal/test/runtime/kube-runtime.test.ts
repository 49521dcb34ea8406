import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentClient } from '@codeyard/common/agent/client';
import { connectTarget } from '@codeyard/common/agent/connect';
import type { RuntimeStatus } from '../../src/runtime/runtime.js';
import { LABELS, POD_LAYOUT } from '../../src/runtime/kubernetes/pod-layout.js';
import { FAKE_POD_EXEC_MARK, FakePodAgents } from '../helpers/fake-pod-agent.js';
import { type KubeHarness, kubeHarness, NAMESPACE } from '../helpers/kube-harness.js';
import { describeRuntime } from './describe-runtime.js';

describeRuntime('kubernetes on the Kubernetes API double (fake pod agents)', async () => {
  const h = await kubeHarness();
  return { runtime: h.runtime, newSpec: h.newSpec, close: h.close };
});

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`not within ${ms} ms: ${what}`);
}

describe('kubernetes runtime: its conversation with the API (on the API double)', () => {
  let h: KubeHarness;
  before(async () => {
    h = await kubeHarness();
  });
  after(() => h.close());

  it('starts a repl: network policy, then Secret, then pod; watches it to Running; waits for the agent through the gate; restores the files through the relay', async () => {
    const spec = await h.newSpec();
    await h.runtime.create(spec);
    assert.equal(h.double.list('pods', NAMESPACE).length, 0, 'nothing in the cluster for a repl that is only made');
    const steps: RuntimeStatus[] = [];
    h.runtime.watch((id, status) => id === spec.id && steps.push(status));
    h.double.requests.length = 0;
    await h.runtime.start(spec);
    const creates = h.double.requests.filter((r) => r.startsWith('POST'));
    assert.deepEqual(creates.map((r) => r.split('/').at(-1)), ['networkpolicies', 'secrets', 'pods'], 'the pod never exists without its policy');
    assert.ok(steps.some((s) => s.step === 'creating the pod'));
    assert.equal(steps.at(-1)?.state, 'running');
    const [pod] = h.double.list('pods', NAMESPACE).filter((p) => p.metadata.labels?.[LABELS.repl] === spec.id);
    assert.ok(pod, 'the pod carries the repl in its labels');
    assert.equal(pod.metadata.labels?.[LABELS.owner], spec.owner);
    const agent = h.agents.agents.get(pod.metadata.name)!;
    assert.equal(fs.readFileSync(path.join(agent.workspace, 'index.js'), 'utf8'), `console.log('repl ${spec.id}')\n`, 'restored through the network relay with the pod credential');

    const endpoints = h.runtime.endpoints(spec.id)!;
    assert.equal(endpoints.agent.kind, 'gate');
    assert.equal(await new AgentClient(endpoints.agent).healthy(), true);
    const result = await h.runtime.exec(spec.id, { command: 'echo hi' });
    assert.ok(result.stdout.startsWith(FAKE_POD_EXEC_MARK));
    await h.runtime.stop(spec.id);
  });

  it('a pod address alone opens nothing: no answer without the secret, nor with another pod’s', async () => {
    const [a, b] = [await h.newSpec(), await h.newSpec()];
    await h.runtime.start(a);
    await h.runtime.start(b);
    const ea = h.runtime.endpoints(a.id)!;
    const eb = h.runtime.endpoints(b.id)!;
    assert.ok(ea.agent.kind === 'gate' && eb.agent.kind === 'gate');
    const answer = (target: Parameters<typeof connectTarget>[0], raw?: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = raw === undefined ? connectTarget(target) : (connectTarget({ kind: 'tcp', host: (target as { host: string }).host, port: POD_LAYOUT.gatePort }) as ReturnType<typeof connectTarget>);
        let data = '';
        socket.on('data', (c) => (data += c.toString()));
        socket.on('close', () => resolve(data));
        socket.on('error', () => resolve(data));
        socket.write(raw ?? 'GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      });
    assert.match(await answer(ea.agent), /"ok":true/);
    assert.equal(await answer(ea.agent, 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n'), '', 'a plain request to the pod IP');
    assert.equal(await answer({ ...ea.agent, secret: eb.agent.secret }), '', "B's secret at A's address");
    await h.runtime.stop(a.id);
    await h.runtime.stop(b.id);
  });

  it('stops with the files saved: quiesce, flush through the gate, then a graceful delete (SIGTERM saves once more); all three objects go', async () => {
    const spec = await h.newSpec();
    await h.runtime.start(spec);
    const name = h.double.list('pods', NAMESPACE).find((p) => p.metadata.labels?.[LABELS.repl] === spec.id)!.metadata.name;
    const agent = h.agents.agents.get(name)!;
    fs.writeFileSync(path.join(agent.workspace, 'edited.js'), 'saved at stop\n');
    await h.runtime.stop(spec.id);
    assert.equal(agent.quiesces, 1);
    assert.equal(agent.flushes, 1);
    assert.equal(agent.terminated, true, 'the graceful delete reached the agent');
    assert.ok((await h.workspaces.manifest(spec.workspacePrefix)).entries['edited.js'], 'the edit is in the store');
    assert.equal(h.double.get('pods', NAMESPACE, name), undefined);
    assert.equal(h.double.get('secrets', NAMESPACE, name), undefined);
    assert.equal(h.double.get('networkpolicies', NAMESPACE, name), undefined);
    assert.equal(h.runtime.status(spec.id).state, 'stopped');
    assert.equal(await FakePodAgents.reachable(agent.ip), false);
  });

  it('keeps the pod when its files cannot be saved: the repl says unsaved, and a later stop saves and deletes', async () => {
    const spec = await h.newSpec();
    await h.runtime.start(spec);
    const name = h.double.list('pods', NAMESPACE).find((p) => p.metadata.labels?.[LABELS.repl] === spec.id)!.metadata.name;
    const agent = h.agents.agents.get(name)!;
    const flush = agent.engine!.flush.bind(agent.engine);
    agent.engine!.flush = async () => ({ state: 'degraded', pending: 1, version: 0, reason: 'the store does not answer (test)' });
    await assert.rejects(h.runtime.stop(spec.id), /could not save files/);
    assert.equal(h.runtime.status(spec.id).state, 'error');
    assert.equal(h.runtime.status(spec.id).unsaved, true);
    assert.ok(h.double.get('pods', NAMESPACE, name), 'the pod, with the only copy, is kept');
    agent.engine!.flush = flush;
    await h.runtime.stop(spec.id);
    assert.equal(h.double.get('pods', NAMESPACE, name), undefined);
  });

  it('deletes without saving: the pod goes at once (grace 0)', async () => {
    const spec = await h.newSpec();
    await h.runtime.start(spec);
    const name = h.double.list('pods', NAMESPACE).find((p) => p.metadata.labels?.[LABELS.repl] === spec.id)!.metadata.name;
    h.double.requests.length = 0;
    await h.runtime.delete(spec.id);
    assert.equal(h.agents.agents.get(name)!.flushes, 0);
    assert.equal(h.double.get('pods', NAMESPACE, name), undefined);
    assert.equal(h.runtime.status(spec.id).state, 'stopped');
    await h.runtime.delete(spec.id);
  });

  it('takes a start as done while the pod runs, and a stop or delete of a repl without a pod as done (idempotent)', async () => {
    const spec = await h.newSpec();
    await h.runtime.start(spec);
    const pods = h.double.list('pods', NAMESPACE).length;
    await h.runtime.start(spec);
    assert.equal(h.double.list('pods', NAMESPACE).length, pods, 'no second pod');
    await h.runtime.stop(spec.id);
    await h.runtime.stop(spec.id);
    await h.runtime.delete(spec.id);
    assert.equal(h.double.list('pods', NAMESPACE).filter((p) => p.metadata.labels?.[LABELS.repl] === spec.id).length, 0);
  });

  it('a start whose pod cannot pull its image fails at once with the reason, and leaves nothing behind', async () => {
    const spec = await h.newSpec();
    const run = h.double.autoRun;
    h.double.autoRun = (pod) => {
      setImmediate(() => h.double.setPodStatus(NAMESPACE, pod.metadata.name, { phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "localhost/codeyard-node:0.1.0"' } } }] }));
      return undefined;
    };
    try {
      await assert.rejects(h.runtime.start(spec), /cannot run: ImagePullBackOff: Back-off pulling image "localhost\/codeyard-node/);
    } finally {
      h.double.autoRun = run;
    }
    assert.match(h.runtime.status(spec.id).error ?? '', /ImagePullBackOff/);
    await until('its objects are deleted', () => !h.double.list('pods', NAMESPACE).some((p) => p.metadata.labels?.[LABELS.repl] === spec.id));
    assert.ok(!h.double.list('secrets', NAMESPACE).some((s) => s.metadata.labels?.[LABELS.repl] === spec.id));
  });
});
