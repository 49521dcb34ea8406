import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { AgentClient } from '@codeyard/common/agent/client';
import { connectTarget } from '@codeyard/common/agent/connect';
import type { Target } from '@codeyard/common/agent/protocol';
import { POD_LAYOUT } from '../../src/runtime/kubernetes/pod-layout.js';
import { DEFAULT_SETTINGS } from '../../src/runtime/process/code-server-settings.js';
import { driverPod, type DriverPod } from '../helpers/driver-pod.js';
import { eventually } from '../helpers/http.js';
import { needPodman, podman, podmanProblem } from '../helpers/podman.js';

/** One HTTP request through a target (the pod's gate); resolves with status and body. */
function requestThrough(target: Target, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ path: pathname, headers: { host: 'localhost' }, createConnection: () => connectTarget(target) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${pathname}`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The kubernetes driver's Pod (replObjects: the Pod and its Secret) run for real under
 * `podman kube play` from the node image `npm run images` built (helpers/driver-pod.ts says
 * how it is adapted and wired): the agent restores the workspace from s3rver through the
 * network relay with its per-repl credential, code-server answers through the gate, Run starts
 * the app and it answers, the repl's secrets reach its agent, an edit is saved, and SIGTERM (what a pod's deletion sends) saves the
 * last one. The test reaches the pod only through its ports published on 127.0.0.1, and
 * `podman exec`/`logs`.
 */
describe('the driver\'s Pod under podman kube play', { timeout: 600_000 }, () => {
  let pod: DriverPod | undefined;

  before(async () => {
    if (await podmanProblem()) return;
    // A long quiet time: the edit made right before the stop can only be saved by SIGTERM's flush.
    pod = await driverPod({ env: { CODEYARD_SYNC_DEBOUNCE_MS: '10000', CODEYARD_KUBE_GRACE_SECONDS: '60' } });
    await pod.start();
  });
  after(() => pod?.close());

  it('restores the workspace from the store through the relay, and code-server answers through the gate', async (t) => {
    if (!(await needPodman(t)) || !pod) return;
    const agent = new AgentClient(pod.gate({ to: 'control' }));
    assert.equal((await agent.readFile('notes.txt')).toString(), 'first\n');
    assert.equal((await agent.info()).replId, pod.replId);
    const ide = await eventually(async () => {
      const reply = await requestThrough(pod!.gate({ to: 'ide' }), '/healthz').catch(() => undefined);
      return reply?.status === 200 && reply;
    }, 'code-server through the gate', 120_000);
    assert.match(ide.body, /"status"/);
    // VS Code runs with the image's built-ins (the Codeyard extension among them) and Codeyard's settings.
    const cmdlines = await podman(['exec', pod.container, 'sh', '-c', 'cat /proc/[0-9]*/cmdline | tr "\\0" " "']);
    assert.ok(cmdlines.includes(`--builtin-extensions-dir ${POD_LAYOUT.builtinExtensions}`));
    // code-server preloads the image's idle collection (it would not start without the file).
    assert.ok(cmdlines.includes(`--require=${POD_LAYOUT.idleGc}`), cmdlines);
    const settings = JSON.parse(await podman(['exec', pod.container, 'cat', `${POD_LAYOUT.home}/.local/share/code-server/User/settings.json`])) as Record<string, unknown>;
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    // The same gate without the pod's secret: closed with nothing said.
    const wrong = await requestThrough({ ...pod.gate({ to: 'ide' }), secret: '0'.repeat(64) } as Target, '/healthz').then(
      (r) => r.status,
      () => 'closed',
    );
    assert.equal(wrong, 'closed');
  });

  it('runs as uid 1000 with no capabilities, no way to gain privileges, a seccomp filter and a read-only root', async (t) => {
    if (!(await needPodman(t)) || !pod) return;
    // The agent is the container's first process; everything else of the repl descends from it.
    const status = await podman(['exec', pod.container, 'grep', '-E', '^(Uid|Gid|CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):', '/proc/1/status']);
    const field = (key: string): string => status.match(new RegExp(`^${key}:\\s*(.*)$`, 'm'))?.[1]?.trim() ?? '';
    assert.match(field('Uid'), /^1000\s+1000\s+1000\s+1000$/);
    assert.match(field('Gid'), /^1000\s+1000\s+1000\s+1000$/);
    for (const caps of ['CapEff', 'CapPrm', 'CapBnd']) assert.equal(field(caps), '0000000000000000', caps);
    assert.equal(field('NoNewPrivs'), '1');
    assert.equal(field('Seccomp'), '2', 'a seccomp filter is on');
    const writes = await podman(['exec', pod.container, 'sh', '-c', `touch /opt/codeyard/x 2>&1; touch /usr/bin/x 2>&1; touch ${POD_LAYOUT.workspace}/.probe && rm ${POD_LAYOUT.workspace}/.probe && echo workspace-writable`]);
    assert.match(writes, /\/opt\/codeyard\/x'?: Read-only file system/);
    assert.match(writes, /\/usr\/bin\/x'?: Read-only file system/);
    assert.match(writes, /workspace-writable/);
  });

  it('Run starts the app and it answers through the gate', async (t) => {
    if (!(await needPodman(t)) || !pod) return;
    await new AgentClient(pod.gate({ to: 'control' })).startApp();
    const reply = await eventually(async () => {
      const r = await requestThrough(pod!.gate({ to: 'port', port: 3000 }), '/').catch(() => undefined);
      return r?.status === 200 && r;
    }, 'the app on port 3000', 60_000);
    assert.equal(reply.body, `hello from the pod ${pod.replId}`);
  });

  it("takes the repl's secrets through the gate: the next exec sees them (the portal's push to a pod)", async (t) => {
    if (!(await needPodman(t)) || !pod) return;
    const agent = new AgentClient(pod.gate({ to: 'control' }));
    assert.equal((await agent.setEnv({ POD_SECRET: 'through the gate' })).version, 1);
    assert.equal((await agent.exec({ command: 'echo "$POD_SECRET"' })).stdout, 'through the gate\n');
    assert.equal((await agent.setEnv({})).version, 2);
  });

  it('saves an edit, and SIGTERM saves the last one', async (t) => {
    if (!(await needPodman(t)) || !pod) return;
    const { workspaces, prefix } = pod;
    await new AgentClient(pod.gate({ to: 'control' })).writeFile('notes.txt', Buffer.from('second\n'));
    await eventually(async () => (await workspaces.readFile(prefix, 'notes.txt').catch(() => undefined))?.toString() === 'second\n', 'the edit in the store', 90_000);
    // A change in a terminal, then the pod's deletion at once (well inside the 10 s quiet time).
    await podman(['exec', pod.container, 'sh', '-c', `echo third > ${POD_LAYOUT.workspace}/notes.txt`]);
    const logs = await pod.stop(60);
    assert.equal((await workspaces.readFile(prefix, 'notes.txt')).toString(), 'third\n', `SIGTERM flushed the last edit to the store; the pod's log:\n${logs.split('\n').slice(-15).join('\n')}`);
    assert.match(logs, /SIGTERM/);
  });
});
