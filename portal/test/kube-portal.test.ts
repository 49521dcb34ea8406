import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { type Codeyard, createCodeyard } from '../src/codeyard.js';
import { loadConfig } from '../src/config.js';
import type { KubernetesRuntime } from '../src/runtime/kubernetes/kube-runtime.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { FAKE_IDE_MARK } from './helpers/fake-pod-agent.js';
import { freePort, openWebSocket, request } from './helpers/http.js';
import { type KubeHarness, kubeHarness } from './helpers/kube-harness.js';
import { repoTemplates } from './helpers/memory-repls.js';

/**
 * The whole portal with the kubernetes runtime on the Kubernetes API double (fake pod agents):
 * a repl made through the API starts as a pod, and the portal's proxy reaches its IDE, its app
 * port and its log stream through the pod's gate only, over the pod's (loopback) address.
 */
describe('the portal with repls as pods (API double, fake pod agents)', () => {
  let h: KubeHarness;
  let codeyard: Codeyard<KubernetesRuntime>;
  let port: number;
  let token: string;
  let repl: string;
  let appPort: number;
  const app = http.createServer((req, res) => res.end(`the repl's app saw ${req.url}`));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-kube-portal-'));

  before(async () => {
    // The "pod's" app listens on loopback; the gate's PORT line reaches it there, as inside a pod.
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appPort = (app.address() as { port: number }).port;
    const templates = (await repoTemplates()).map((t) => (t.manifest.id === 'node' ? { ...t, manifest: { ...t.manifest, port: appPort } } : t));
    const store = new MemoryStore();
    h = await kubeHarness({}, store);
    port = await freePort();
    const config = loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), CODEYARD_DATA: dataDir, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'anonymous' });
    codeyard = await createCodeyard(config, { runtime: () => h.runtime, store, templates, signingKey: h.signingKey, log: pino({ level: 'silent' }) });
    await codeyard.listen(port, '127.0.0.1');
    token = (await request(port, { method: 'POST', path: '/api/session' })).json<{ token: string }>().token;
    const created = await request(port, { method: 'POST', path: '/api/repls', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ stack: 'node' }) });
    assert.equal(created.status, 201, created.body);
    repl = created.json<{ id: string }>().id;
    const started = await request(port, { method: 'POST', path: `/api/repls/${repl}/start`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(started.status, 200, started.body);
  });
  after(async () => {
    await codeyard?.close();
    await h?.close();
    app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens the IDE through the proxy and the pod gate: ticket, host cookie, then the pod’s code-server (HTTP and WebSocket)', async () => {
    const link = new URL((await request(port, { method: 'POST', path: `/api/repls/${repl}/ide-link`, headers: { authorization: `Bearer ${token}` } })).json<{ url: string }>().url);
    const redeem = await request(port, { host: link.host, path: link.pathname + link.search });
    assert.equal(redeem.status, 302);
    const cookie = String(redeem.headers['set-cookie']).split(';')[0]!;
    const page = await request(port, { host: link.host, path: '/some/path', headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(page.body, new RegExp(`^${FAKE_IDE_MARK} codeyard-[0-9a-f]{12} saw /some/path$`));
    const ws = await openWebSocket(port, { host: link.host, path: '/?reconnection=false', headers: { cookie, origin: `http://${link.host}` } });
    assert.equal(ws.status, 101, 'the upgrade went through the gate');
    ws.ws?.terminate();
    assert.equal((await request(port, { host: link.host, path: '/', headers: {} })).status, 401, 'without the cookie: nothing');
  });

  it("serves the app's public preview from the pod's port, through the gate", async () => {
    const preview = await request(port, { host: `${repl}-${appPort}.localhost:${port}`, path: '/hello' });
    assert.equal(preview.status, 200);
    assert.equal(preview.body, "the repl's app saw /hello");
  });

  it("streams the app's log from the pod's agent through the gate", async () => {
    const ws = await openWebSocket(port, { host: `localhost:${port}`, path: `/api/repls/${repl}/app/logs`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(ws.status, 101);
    const frame = await new Promise<string>((resolve) => ws.ws!.once('message', (data) => resolve(data.toString())));
    assert.match(frame, /log of codeyard-[0-9a-f]{12}/);
    ws.ws!.terminate();
  });

  it('stops the repl: its pod goes, and the proxy reaches nothing there any more', async () => {
    const stopped = await request(port, { method: 'POST', path: `/api/repls/${repl}/stop`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(stopped.status, 200, stopped.body);
    assert.equal(h.double.list('pods').length, 0);
    assert.equal(codeyard.runtime.endpoints(repl), undefined);
  });
});
