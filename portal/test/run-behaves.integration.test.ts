import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import type { ReplView } from '../src/repls/repl-service.js';
import { browserUnavailable, launchChromium } from './helpers/browser.js';
import { eventually, request } from './helpers/http.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';

const SHOTS = path.join(REPO_ROOT, 'test-results');

/**
 * Issue 17, item 3, in Chromium against the real portal, sandbox and proxy: Run pressed while
 * the app runs restarts it with the code as it is now (the Codeyard bar's one button), Stop app
 * is beside it; and the static stack's preview reloads itself when a file is saved.
 */
describe('Run that behaves', { skip: browserUnavailable(), timeout: 300_000 }, () => {
  let t: TestPortal;
  let token: string;
  let browser: Browser;
  let context: BrowserContext;

  const newRepl = async (stack: string, name: string): Promise<ReplView> => {
    const created = await t.api(token, 'POST', '/api/repls', { stack, name });
    assert.equal(created.status, 201, created.body);
    const repl = created.json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    return repl;
  };
  const appOf = async (repl: ReplView) => (await t.api(token, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean; startedAt?: string; pid?: number }>();
  /** What the app's preview answers now (through the proxy, as anyone sees it). */
  const previewText = async (repl: ReplView): Promise<string> => {
    const res = await request(t.port, { host: new URL(repl.previewUrl).host, path: '/' }).catch(() => undefined);
    return res?.status === 200 ? res.body : '';
  };

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    t = await startTestPortal({ env: { CODEYARD_REPL_NETWORK: 'none' } });
    token = await t.newToken();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('restarts the app when Run is pressed while it runs, with the code as it is now; Stop app beside it', async () => {
    const repl = await newRepl('node', 'restart on run');
    const page = await context.newPage();
    await page.goto((await t.api(token, 'POST', `/api/repls/${repl.id}/ide-link`, {})).json<{ url: string }>().url);
    const bar = page.locator('#codeyard-bar');
    const run = bar.locator('button#codeyard-run');
    const stop = bar.locator('button#codeyard-stop');
    await bar.locator('button#codeyard-run:enabled', { hasText: '▶ Run' }).waitFor({ timeout: 30_000 });
    assert.equal(await stop.isVisible(), false, 'no Stop app while nothing runs');
    await run.click();
    await bar.locator('#codeyard-app-status', { hasText: /^Running/ }).waitFor({ timeout: 30_000 });
    await eventually(async () => (await previewText(repl)).includes('Hello from Node.js'), 'the app answering');
    const first = await appOf(repl);

    // Edited while it runs: node keeps serving what it loaded until the app starts again.
    const source = (await t.api(token, 'GET', `/api/repls/${repl.id}/files/index.js`)).body;
    assert.equal((await t.api(token, 'PUT', `/api/repls/${repl.id}/files/index.js`, source.replace('<h1>Hello from Node.js', '<h1>Hello again from Node.js'))).status, 200);
    assert.doesNotMatch(await previewText(repl), /Hello again/);

    // The one button now says so, and one click restarts the app.
    await run.filter({ hasText: '↻ Restart' }).waitFor({ timeout: 10_000 });
    assert.equal(await run.getAttribute('aria-label'), 'Restart the app');
    await stop.filter({ hasText: '■ Stop app' }).waitFor({ state: 'visible', timeout: 10_000 });
    await page.screenshot({ path: path.join(SHOTS, 'bar-restart.png') });
    await run.click();
    const second = await eventually(async () => {
      const app = await appOf(repl);
      return app.running && app.startedAt !== first.startedAt && app;
    }, 'a new run of the app');
    assert.notEqual(second.pid, first.pid);
    await eventually(async () => (await previewText(repl)).includes('Hello again from Node.js'), 'the edited app answering after Restart');
    assert.equal((await appOf(repl)).startedAt, second.startedAt, 'one restart, not a stop and two starts');

    await stop.click();
    await run.filter({ hasText: '▶ Run' }).waitFor({ timeout: 30_000 });
    assert.equal((await appOf(repl)).running, false);
    // Stop app leaves the repl running (Stop repl is the dashboard's).
    assert.equal((await t.api(token, 'GET', `/api/repls/${repl.id}`)).json<ReplView>().status, 'running');
    await page.close();
  });

  it("reloads the static stack's preview by itself when a file is saved", async () => {
    const repl = await newRepl('static', 'live reload');
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/app/start`)).status, 200);
    await eventually(async () => (await previewText(repl)).includes('Hello from static HTML'), 'the static site answering');
    const page = await context.newPage();
    await page.goto(repl.previewUrl);
    await page.locator('h1', { hasText: 'Hello from static HTML' }).waitFor({ timeout: 30_000 });
    // Gone after a real reload of the page.
    await page.evaluate(() => Object.assign(globalThis, { loadedBefore: true }));
    // Let the page's live-reload stream open before the save.
    await page.waitForTimeout(1000);

    const html = (await t.api(token, 'GET', `/api/repls/${repl.id}/files/index.html`)).body;
    const saved = Date.now();
    assert.equal((await t.api(token, 'PUT', `/api/repls/${repl.id}/files/index.html`, html.replace('<h1>Hello from static HTML</h1>', '<h1>Saved and reloaded</h1>'))).status, 200);
    await page.locator('h1', { hasText: 'Saved and reloaded' }).waitFor({ timeout: 15_000 });
    process.stdout.write(`# the saved page shown in the open preview after ${Date.now() - saved} ms\n`);
    assert.equal(await page.evaluate(() => (globalThis as { loadedBefore?: boolean }).loadedBefore), undefined, 'the page reloaded itself');

    // A stylesheet too, with nothing pressed.
    const css = (await t.api(token, 'GET', `/api/repls/${repl.id}/files/style.css`)).body;
    assert.equal((await t.api(token, 'PUT', `/api/repls/${repl.id}/files/style.css`, `${css}\nh1 { color: rgb(1, 2, 3); }\n`)).status, 200);
    // The page's own getComputedStyle (this file is compiled without the DOM's types).
    const color = () => page.locator('h1').evaluate((h) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(h).color);
    await eventually(async () => (await color().catch(() => '')) === 'rgb(1, 2, 3)', 'the new style shown');
    await page.screenshot({ path: path.join(SHOTS, 'static-live-reload.png') });
    await page.close();
  });
});
