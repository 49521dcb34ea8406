import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requestOverSocket } from '@codeyard/common/http-client';
import { browserUnavailable, launchChromium, vscodeIn } from './helpers/browser.js';
import { isReplId } from '@codeyard/common/repl-id';
import type { ReplView } from '../src/repls/repl-service.js';
import { eventually, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';
import { replDirs, warmDirs, warmRoot } from '../src/runtime/process/repl-folders.js';

/** Processes of the sandbox whose bwrap names it as the hostname (a warm one: its own id). */
function processesOf(hostname: string): string[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      return argv[argv.indexOf('--hostname') + 1] === hostname;
    } catch {
      return false;
    }
  });
}

/** The warm pool, with the real runtime: sandboxes started ahead, taken by a new repl's first start, refilled. */
describe('warm pool', { timeout: 240_000 }, () => {
  let t: TestPortal;
  let token: string;
  const root = (): string => path.join(t.dataDir, 'repls');
  /** Warm sandboxes up and answering, by their own ids (they have folders of their own, no repl's). */
  const warmIds = (): string[] => (fs.existsSync(warmRoot(root())) ? fs.readdirSync(warmRoot(root())) : []).filter((name) => fs.existsSync(warmDirs(root(), name).agentSocket));

  const WARM_ENV = { CODEYARD_WARM_POOL: '1', CODEYARD_WARM_POOL_MAX_LOAD: '100000', CODEYARD_SYNC_DEBOUNCE_MS: '200' };

  before(async () => {
    // The whole suite keeps this machine busy: the pool must not wait for a quiet moment here.
    t = await startTestPortal({ env: WARM_ENV, warmStacks: ['node'] });
    token = await t.newToken();
  });
  after(() => t?.close());

  it('keeps a sandbox started ahead that belongs to nobody', async () => {
    await eventually(async () => t.runtime.warmCounts().node === 1, 'a warm node sandbox', 90_000);
    const [id] = warmIds();
    assert.ok(id, 'its folder is there');
    assert.equal(isReplId(id), false, 'a sandbox id, never a repl id');
    assert.equal(fs.readdirSync(root()).filter(isReplId).length, 0, 'no repl folder for it');
    assert.ok(processesOf(id!).length > 0, 'it runs');
    // Nobody can reach it: it is no repl yet.
    assert.deepEqual(t.runtime.active(), [], 'not counted as running');
    // Its agent has no repl: no sync, no name.
    const socketPath = warmDirs(root(), id!).agentSocket;
    assert.equal((await requestOverSocket({ socketPath, path: '/info' })).status, 404);
    assert.equal((await requestOverSocket({ socketPath, path: '/sync' })).status, 404);
  });

  it("becomes a new repl at its first start (the repl service's id): the template restored, VS Code already up, and a refill", async () => {
    const [warmId] = warmIds();
    const t0 = Date.now();
    const created = await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'From the pool' });
    assert.equal(created.status, 201, created.body);
    const repl = created.json<ReplView>();
    assert.notEqual(repl.id, warmId, 'the repl service made the id');
    const started = await t.api(token, 'POST', `/api/repls/${repl.id}/start`);
    assert.equal(started.status, 200, started.body);
    const ms = Date.now() - t0;
    process.stdout.write(`# create + start from the warm pool: ${ms} ms\n`);
    assert.equal(started.json<ReplView>().status, 'running');
    // The warm sandbox is the repl's now: its folder became the repl's, its processes run on.
    assert.equal(fs.existsSync(warmDirs(root(), warmId!).base), false, 'the warm folder moved');
    assert.ok(fs.existsSync(replDirs(root(), repl.id).pidsFile), "the repl's folder");
    assert.ok(processesOf(warmId!).length > 0, 'the warm sandbox runs as the repl');
    const exec = (await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'head -1 index.js && echo $CODEYARD_REPL_ID' })).json();
    assert.match(exec.stdout, /Press Run/);
    // The sandbox started before the repl existed; what runs in it now knows the repl as in a cold one.
    assert.equal(exec.stdout.trim().split('\n').pop(), repl.id, 'a one-off command sees CODEYARD_REPL_ID');
    // The agent knows its repl now (the extension shows it), and syncs to its workspace.
    const socketPath = path.join(replDirs(path.join(t.dataDir, 'repls'), repl.id).run, 'agent.sock');
    const info = JSON.parse((await requestOverSocket({ socketPath, path: '/info' })).body.toString());
    assert.equal(info.name, 'From the pool');
    assert.equal(info.previewUrl, repl.previewUrl);
    await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'echo pooled > made-here.txt' });
    await eventually(async () => (await t.workspaces.readFile(`workspaces/${repl.id}/`, 'made-here.txt').catch(() => undefined))?.toString() === 'pooled\n', 'the new file saved');
    // Run works as in any repl.
    const run = await t.api(token, 'POST', `/api/repls/${repl.id}/app/start`);
    assert.equal(run.status, 200);
    await eventually(async () => (await request(t.port, { host: `${repl.id}-3000.localhost:${t.port}`, path: '/' })).body.includes('Hello from Node.js'), 'the app');
    // The app got the repl's id too: its environment as it was started (a command sees the app's pid).
    const { pid } = run.json<{ pid: number }>();
    const appEnv = (await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: `tr '\\0' '\\n' < /proc/${pid}/environ` })).json();
    assert.ok(appEnv.stdout.split('\n').includes(`CODEYARD_REPL_ID=${repl.id}`), `the app sees CODEYARD_REPL_ID: ${appEnv.stdout}${appEnv.stderr}`);
    // Another sandbox is started in its place.
    await eventually(async () => t.runtime.warmCounts().node === 1 && !warmIds().includes(repl.id), 'the pool refilled', 90_000);
  });

  it("gives a terminal opened in VS Code the repl's id, name and secrets, though code-server started before the repl existed", { skip: browserUnavailable() }, async () => {
    const repl = (await t.api(token, 'GET', '/api/repls')).json<ReplView[]>()[0]!;
    // A secret set while it runs: the agent gets it from the portal, the extension from the agent.
    assert.equal((await t.api(token, 'PUT', `/api/repls/${repl.id}/secrets/TERMINAL_SECRET`, { value: 'in the terminal' })).status, 201);
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await page.goto((await t.api(token, 'POST', `/api/repls/${repl.id}/ide-link`, {})).json<{ url: string }>().url);
      const ide = vscodeIn(page);
      await ide.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
      // The extension has asked the agent which repl this is (what new terminals get comes with it).
      await ide.locator('.statusbar-item', { hasText: 'From the pool · node' }).waitFor({ timeout: 60_000 });
      // A new shell (the app's output, already open since Run, is a terminal too).
      await page.keyboard.press('Control+Shift+Backquote');
      const terminal = ide.locator('.terminal-wrapper.active .xterm').first();
      await terminal.waitFor({ timeout: 30_000 });
      await terminal.click();
      await page.waitForTimeout(1500); // the shell's prompt
      await page.keyboard.type('echo "id=$CODEYARD_REPL_ID name=$CODEYARD_REPL_NAME secret=$TERMINAL_SECRET" > terminal-saw.txt\n');
      const seen = await eventually(async () => (await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'cat terminal-saw.txt' })).json<{ stdout: string }>().stdout || undefined, 'the terminal to write what it saw');
      assert.equal(seen, `id=${repl.id} name=From the pool secret=in the terminal\n`);
    } finally {
      await browser.close();
    }
  });

  it('starts the repl the ordinary way after a stop (its sandbox is a plain one now)', async () => {
    const repl = (await t.api(token, 'GET', '/api/repls')).json<ReplView[]>()[0]!;
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/stop`)).json<ReplView>().status, 'stopped');
    assert.equal((await t.workspaces.readFile(`workspaces/${repl.id}/`, 'made-here.txt')).toString(), 'pooled\n');
    const again = await t.api(token, 'POST', `/api/repls/${repl.id}/start`);
    assert.equal(again.json<ReplView>().status, 'running');
    const exec = (await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'cat made-here.txt' })).json();
    assert.equal(exec.stdout, 'pooled\n');
  });

  it('gives a repl made and deleted without a start nothing from the pool (only a start takes a sandbox)', async () => {
    await eventually(async () => t.runtime.warmCounts().node === 1, 'a warm node sandbox', 90_000);
    const [warmId] = warmIds();
    const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'never started' })).json<ReplView>();
    assert.deepEqual(warmIds(), [warmId], 'the sandbox stays in the pool while the repl is not started');
    assert.equal(t.runtime.warmCounts().node, 1);
    assert.equal((await t.api(token, 'DELETE', `/api/repls/${repl.id}`)).status, 204);
    assert.equal(fs.existsSync(path.join(root(), repl.id)), false, 'no repl folder');
    assert.deepEqual(warmIds(), [warmId], 'the pool is as it was');
    assert.equal((await requestOverSocket({ socketPath: warmDirs(root(), warmId!).agentSocket, path: '/healthz' })).status, 200, 'its agent runs');
  });

  it('leaves nothing behind when the portal closes', async () => {
    const warm = warmIds();
    assert.equal(warm.length, 1);
    await t.runtime.close();
    assert.equal(fs.existsSync(warmDirs(root(), warm[0]!).base), false);
    assert.deepEqual(processesOf(warm[0]!), []);
  });

  it('ends the warm sandboxes another portal left in its data folder, and removes their folders', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-warm-'));
    const first = await startTestPortal({ dataDir, env: WARM_ENV, warmStacks: ['node'] });
    try {
      await eventually(async () => first.runtime.warmCounts().node === 1, 'a warm node sandbox', 90_000);
      const rootDir = path.join(dataDir, 'repls');
      const [left] = fs.readdirSync(warmRoot(rootDir));
      assert.ok(left && processesOf(left).length > 0, 'it runs');
      // A portal that starts on this folder finds it (as after a crash): it belongs to no repl.
      const second = await startTestPortal({ dataDir });
      try {
        assert.equal(fs.existsSync(warmDirs(rootDir, left).base), false, 'its folder is gone');
        assert.deepEqual(processesOf(left), [], 'no process of it is left');
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });
});
