import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ReplView } from '../src/repls/repl-service.js';
import { browserUnavailable, launchChromium, vscodeIn } from './helpers/browser.js';
import { eventually, request } from './helpers/http.js';
import { IDE_EXTENSION, REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';
import { replDirs, sharedDir } from '../src/runtime/process/repl-folders.js';

const SHOTS = path.join(REPO_ROOT, 'test-results');

/** Every file under `dir` whose name matches. */
function findFiles(dir: string, name: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => name.test(path.basename(f))).map((f) => path.join(dir, f));
}

/**
 * The Codeyard VS Code extension in a real repl: built into code-server (not in the user's
 * extensions), given the repl's details, activated, and driving Run/Stop in step with the agent.
 */
describe('the Codeyard VS Code extension in a repl', { timeout: 600_000 }, () => {
  let t: TestPortal;
  let token: string;
  let repl: ReplView;
  let home: string;

  before(async () => {
    assert.ok(fs.existsSync(IDE_EXTENSION), `${IDE_EXTENSION} is built (npm run build)`);
    t = await startTestPortal();
    token = await t.newToken();
    const created = await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'Extension check' });
    assert.equal(created.status, 201, created.body);
    repl = created.json<ReplView>();
    home = replDirs(path.join(t.dataDir, 'repls'), repl.id).home;
    const t0 = Date.now();
    const started = await t.api(token, 'POST', `/api/repls/${repl.id}/start`);
    assert.equal(started.status, 200, started.body);
    process.stdout.write(`# first repl start (with the one-time extension folder) ${Date.now() - t0} ms\n`);
  });
  after(async () => {
    await t?.close();
  });

  const exec = async (command: string): Promise<{ exitCode: number; stdout: string; stderr: string }> => {
    const res = await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command });
    assert.equal(res.status, 200, res.body);
    return res.json();
  };

  it('is a built-in extension of code-server, next to its own, in a folder the repl cannot change', async () => {
    const parent = path.join(sharedDir(path.join(t.dataDir, 'repls')), 'ide-extensions');
    const [dir, ...others] = fs.readdirSync(parent).filter((n) => !n.startsWith('.'));
    assert.ok(dir && others.length === 0, 'one folder for this build');
    const builtin = path.join(parent, dir);
    const manifest = JSON.parse(fs.readFileSync(path.join(builtin, 'codeyard', 'package.json'), 'utf8'));
    assert.equal(`${manifest.publisher}.${manifest.name}`, 'codeyard.codeyard');
    assert.ok(fs.lstatSync(path.join(builtin, 'git')).isSymbolicLink(), "code-server's built-ins are linked in");

    // code-server runs with that folder, and with the repl's details for the extension.
    const ide = await exec(`for p in /proc/[0-9]*; do if tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q 'out/node/entry.js'; then tr '\\0' '\\n' < $p/cmdline; tr '\\0' '\\n' < $p/environ; break; fi; done`);
    assert.equal(ide.exitCode, 0, ide.stderr);
    const lines = ide.stdout.split('\n');
    // Inside, the folder is at a fixed place: the sandbox never learns the host's data path.
    const inside = `/opt/codeyard/ide-extensions/${dir}`;
    assert.equal(lines[lines.indexOf('--builtin-extensions-dir') + 1], inside);
    assert.ok(lines.includes('CODEYARD_AGENT_SOCKET=/run/codeyard/agent.sock'), ide.stdout);
    assert.ok(lines.includes('CODEYARD_REPL_NAME=Extension check'));
    assert.ok(lines.includes('CODEYARD_STACK=node'));
    assert.ok(lines.includes('CODEYARD_APP_PORT=3000'));
    assert.ok(lines.includes(`CODEYARD_PREVIEW_URL=${repl.previewUrl}`), ide.stdout);

    // Inside the sandbox the folder is read-only, and the app's environment has none of it.
    const write = await exec(`touch ${inside}/codeyard/x 2>&1; echo; env | grep -c '^CODEYARD_AGENT_SOCKET' || true`);
    assert.match(write.stdout, /Read-only file system/);
    assert.equal(write.stdout.trim().split('\n').pop(), '0');
    // Nothing was installed into the user's own extensions (which they may empty at will).
    const userExtensions = path.join(home, '.local', 'share', 'code-server', 'extensions');
    assert.deepEqual(fs.existsSync(userExtensions) ? fs.readdirSync(userExtensions).filter((n) => n.startsWith('codeyard')) : [], []);
  });

  it('starts a second repl with no extension work at all', async () => {
    const created = await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'Second' });
    const second = created.json<ReplView>();
    const t0 = Date.now();
    const res = await t.api(token, 'POST', `/api/repls/${second.id}/start`);
    assert.equal(res.status, 200, res.body);
    process.stdout.write(`# second repl start ${Date.now() - t0} ms\n`);
    assert.equal(fs.readdirSync(path.join(sharedDir(path.join(t.dataDir, 'repls')), 'ide-extensions')).length, 1, 'the same folder serves both');
    assert.equal((await t.api(token, 'DELETE', `/api/repls/${second.id}`)).status, 204);
  });

  describe('in VS Code in a real browser', { skip: browserUnavailable() }, () => {
    let browser: Browser;
    let page: Page;

    before(async () => {
      fs.mkdirSync(SHOTS, { recursive: true });
      browser = await launchChromium();
      // xterm's DOM renderer, so the terminal's text can be read from the page.
      const settingsFile = path.join(home, '.local', 'share', 'code-server', 'User', 'settings.json');
      const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
      fs.writeFileSync(settingsFile, JSON.stringify({ ...settings, 'terminal.integrated.gpuAcceleration': 'off' }, null, 2));
      const link = (await t.api(token, 'POST', `/api/repls/${repl.id}/ide-link`, {})).json<{ url: string }>().url;
      page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await page.goto(link);
      await vscodeIn(page).locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    });
    after(async () => {
      await browser?.close();
    });

    const statusItem = (text: string | RegExp) => vscodeIn(page).locator('.statusbar-item', { hasText: text });

    it('activates at startup and shows the repl, its save state and Run', async () => {
      await statusItem('Extension check · node').waitFor({ timeout: 60_000 });
      await statusItem('▶ Run').waitFor({ timeout: 30_000 });
      await statusItem('Saved').waitFor({ timeout: 30_000 });
      // The extension host says so too.
      const logs = findFiles(path.join(home, '.local', 'share', 'code-server', 'logs'), /^(remote)?exthost\.log$/);
      assert.ok(logs.length > 0, 'an extension host log');
      const text = logs.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
      assert.match(text, /codeyard\.codeyard/);
      assert.doesNotMatch(text, /Activating extension 'codeyard\.codeyard' failed/);
    });

    it('runs the app from the status bar: output in the Codeyard terminal, Stop app, and the preview offered', async () => {
      await statusItem('▶ Run').click();
      const app = await eventually(async () => {
        const state = (await t.api(token, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean }>();
        return state.running && state;
      }, 'the app to run');
      assert.ok(app.running);
      await statusItem('■ Stop app').waitFor({ timeout: 30_000 });
      // The editor title's Restart App and Stop App buttons (context key codeyard.appRunning).
      await vscodeIn(page).locator('.editor-actions .action-label[aria-label*="Stop App"]').first().waitFor({ timeout: 30_000 });
      await vscodeIn(page).locator('.editor-actions .action-label[aria-label*="Restart App"]').first().waitFor({ timeout: 30_000 });
      await vscodeIn(page).locator('.terminal-tabs-entry, .single-terminal-tab, .terminal-tab', { hasText: 'Codeyard' }).first().waitFor({ timeout: 30_000 });
      await vscodeIn(page).locator('.xterm-rows', { hasText: 'listening on http://0.0.0.0:3000' }).first().waitFor({ timeout: 30_000 });
      const toast = vscodeIn(page).locator('.notification-toast', { hasText: 'Your app is listening on port 3000' });
      await toast.waitFor({ timeout: 60_000 });
      assert.match((await toast.textContent()) ?? '', new RegExp(repl.previewUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.equal(await toast.locator('.monaco-button', { hasText: 'Open Preview' }).count(), 1);
      assert.equal(await toast.locator('.monaco-button', { hasText: 'Open in New Tab' }).count(), 1);
      await page.screenshot({ path: path.join(SHOTS, 'extension-running.png') });

      // Open Preview: the app in the extension's Preview, beside the editor.
      await toast.locator('.monaco-button', { hasText: 'Open Preview' }).click();
      await vscodeIn(page).locator('.tabs-container .tab', { hasText: 'Preview' }).waitFor({ timeout: 30_000 });
      const heading = await eventually(async () => {
        const frame = page.frames().find((f) => f.url().startsWith(repl.previewUrl));
        return frame && (await frame.locator('h1').textContent({ timeout: 1000 }));
      }, 'the preview beside the editor');
      assert.match(heading ?? '', /^Hello from Node\.js/);
      await page.screenshot({ path: path.join(SHOTS, 'extension-preview.png') });
    });

    it('follows a Stop and a Run made elsewhere (the API)', async () => {
      assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/app/stop`)).status, 200);
      await statusItem('▶ Run').waitFor({ timeout: 30_000 });
      await vscodeIn(page).locator('.editor-actions .action-label[aria-label*="Run"]').first().waitFor({ timeout: 30_000 });
      assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/app/start`)).status, 200);
      await statusItem('■ Stop app').waitFor({ timeout: 30_000 });
      await statusItem('■ Stop app').click();
      await statusItem('▶ Run').waitFor({ timeout: 30_000 });
      assert.equal((await t.api(token, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean }>().running, false);
    });

    it('restarts the app from VS Code: the Restart key (Ctrl+Shift+F5) and the status bar', async () => {
      const app = async () => (await t.api(token, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean; startedAt?: string }>();
      const restartedSince = (before: string | undefined) => eventually(async () => {
        const now = await app();
        return now.running && now.startedAt !== before && now;
      }, 'the app to run again as a new run');
      assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/app/start`)).status, 200);
      await statusItem('■ Stop app').waitFor({ timeout: 30_000 });
      const first = await app();
      // Keys go to the workbench: the main file's editor (beside the preview opened above) has focus.
      await vscodeIn(page).locator('.tabs-container .tab', { hasText: 'index.js' }).first().click();
      await page.keyboard.press('Control+Shift+F5');
      const second = await restartedSince(first.startedAt);
      await vscodeIn(page).locator('.statusbar-item[aria-label="Restart the app"], .statusbar-item [aria-label="Restart the app"]').first().click();
      await restartedSince(second.startedAt);
      await statusItem('■ Stop app').click();
      await statusItem('▶ Run').waitFor({ timeout: 30_000 });
    });

    it("runs and stops the app from the Codeyard bar around VS Code, in step with the extension's Run", async () => {
      const bar = page.locator('#codeyard-bar');
      const button = bar.locator('button#codeyard-run');
      await bar.locator('button#codeyard-run:enabled', { hasText: '▶ Run' }).waitFor({ timeout: 30_000 });
      assert.equal(await bar.locator('.name').textContent(), 'Extension check');
      await button.click();
      await bar.locator('#codeyard-app-status', { hasText: /^Running/ }).waitFor({ timeout: 30_000 });
      await eventually(async () => (await t.api(token, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean }>().running, 'the app to run from the bar');
      const open = bar.locator('a#codeyard-open');
      assert.equal(await open.getAttribute('href'), repl.previewUrl);
      assert.equal(await open.getAttribute('aria-disabled'), 'false');
      const preview = await page.context().newPage();
      await eventually(async () => (await preview.goto(repl.previewUrl).catch(() => null))?.status() === 200, 'the app answering after the bar\'s Run');
      assert.match((await preview.locator('h1').textContent()) ?? '', /^Hello from Node\.js/);
      await preview.close();
      // VS Code learns of it from the agent; the bar learns of VS Code's Stop app by polling.
      await statusItem('■ Stop app').waitFor({ timeout: 30_000 });
      await statusItem('■ Stop app').click();
      await button.filter({ hasText: '▶ Run' }).waitFor({ timeout: 30_000 });
      assert.equal(await bar.locator('button#codeyard-stop').isVisible(), false, 'no Stop app while the app is stopped');
      await button.click();
      await statusItem('■ Stop app').waitFor({ timeout: 30_000 });
      await bar.locator('button#codeyard-stop', { hasText: '■ Stop app' }).click();
      await statusItem('▶ Run').waitFor({ timeout: 30_000 });
      assert.equal((await t.api(token, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean }>().running, false);
      await page.screenshot({ path: path.join(SHOTS, 'extension-with-bar.png') });
    });

    it("refuses the bar's Run to a stranger and to another account's browser", async () => {
      const host = new URL(repl.previewUrl).host.replace(/-3000\./, '.');
      const origin = `http://${host}`;
      const stranger = await request(t.port, { method: 'POST', host, path: '/_codeyard/app/start', headers: { origin } });
      assert.equal(stranger.status, 401);
      // Another account signed in to its own repl: its cookie is for another host and account.
      const other = await t.newToken();
      const theirs = (await t.api(other, 'POST', '/api/repls', { stack: 'static' })).json<{ id: string }>();
      const link = new URL((await t.api(other, 'POST', `/api/repls/${theirs.id}/ide-link`)).json<{ url: string }>().url);
      const cookie = String((await request(t.port, { host: link.host, path: `${link.pathname}${link.search}` })).headers['set-cookie']).split(';')[0]!;
      assert.equal((await request(t.port, { method: 'POST', host, path: '/_codeyard/app/start', headers: { origin, cookie } })).status, 401);
      assert.equal((await t.api(token, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean }>().running, false, 'the app did not start');
    });
  });
});
