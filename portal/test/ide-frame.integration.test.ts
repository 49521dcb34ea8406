import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import type { ReplView } from '../src/repls/repl-service.js';
import { replDirs } from '../src/runtime/process/repl-folders.js';
import { browserUnavailable, launchChromium, vscodeIn } from './helpers/browser.js';
import { eventually } from './helpers/http.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';

const SHOTS = path.join(REPO_ROOT, 'test-results', 'e2e');

/** Where "localhost" is drawn in a terminal row (a text range, across spans), from the row's corner. */
const WORD_IN_ROW = new Function(
  'el',
  `const text = el.textContent, from = text.indexOf('localhost'), to = from + 'localhost'.length;
  if (from < 0) return undefined;
  const range = document.createRange(), walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(), at = 0; node; at += node.length, node = walker.nextNode()) {
    if (from >= at && from <= at + node.length) range.setStart(node, from - at);
    if (to >= at && to <= at + node.length) { range.setEnd(node, to - at); break; }
  }
  const r = range.getBoundingClientRect(), e = el.getBoundingClientRect();
  return { dx: r.x - e.x + r.width / 2, dy: r.y - e.y + r.height / 2 };`,
) as (el: unknown) => { dx: number; dy: number } | undefined;

/**
 * The frame around the editor in a real repl (#17 items 2 and 6): the loading splash and the
 * tab's title, the Preview beside the editor with the URL the app sees, a printed localhost
 * link leading to the preview URL, and the way back to the dashboard. Real portal, sandbox,
 * code-server with the Codeyard extension, and Chromium.
 */
describe('the IDE frame in Chromium', { timeout: 600_000, skip: browserUnavailable() }, () => {
  let t: TestPortal;
  let token: string;
  let repl: ReplView;
  let browser: Browser;
  let page: Page;
  const shot = (name: string): Promise<unknown> => page.screenshot({ path: path.join(SHOTS, `ide-frame-${name}.png`) });
  const statusItem = (text: string | RegExp) => vscodeIn(page).locator('.statusbar-item', { hasText: text });
  /** The app's page in a frame, once it shows `heading` for a URL starting with `url`. */
  const appFrame = (url: string): Promise<Frame> =>
    eventually(async () => {
      for (const f of page.frames().filter((f) => f.url().startsWith(url))) {
        if (/^Hello from Node/.test((await f.locator('h1').textContent({ timeout: 1000 }).catch(() => '')) ?? '')) return f;
      }
      return undefined;
    }, `the app at ${url} in a frame`);

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    t = await startTestPortal();
    token = await t.newToken();
    repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'Frame check' })).json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    // xterm's DOM renderer, so the terminal's text can be found on the page.
    const settingsFile = path.join(replDirs(path.join(t.dataDir, 'repls'), repl.id).home, '.local', 'share', 'code-server', 'User', 'settings.json');
    fs.writeFileSync(settingsFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(settingsFile, 'utf8')), 'terminal.integrated.gpuAcceleration': 'off' }, null, 2));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a loading screen, not a blank page, until VS Code is drawn; the tab carries the repl name', async () => {
    const link = (await t.api(token, 'POST', `/api/repls/${repl.id}/ide-link`, {})).json<{ url: string }>().url;
    await page.goto(link, { waitUntil: 'domcontentloaded' });
    const splash = page.locator('#codeyard-splash');
    assert.match((await splash.textContent()) ?? '', /Opening Frame check in VS Code/);
    await shot('loading');
    await vscodeIn(page).locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await splash.waitFor({ state: 'detached', timeout: 10_000 });
    assert.match(await page.title(), /Frame check · Codeyard$/);
  });

  it('opens the preview beside the editor from the status bar, and the app sees a clean URL', async () => {
    await statusItem(/Codeyard: Frame check/).waitFor({ timeout: 60_000 });
    // A file in the editor, so "beside" means something; the title then follows it.
    await vscodeIn(page).locator('.explorer-folders-view .monaco-list-row', { hasText: 'index.js' }).first().click();
    await vscodeIn(page).locator('.tabs-container .tab', { hasText: 'index.js' }).waitFor();
    await eventually(async () => /^index\.js — Frame check · Codeyard$/.test(await page.title()), 'the active file in the tab title');
    // The Preview button is in the editor's title at all times, Run or not.
    await vscodeIn(page).locator('.editor-actions .action-label[aria-label*="Open Preview"]').first().waitFor({ timeout: 30_000 });
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/app/start`)).status, 200);
    await statusItem('Preview').click();
    await vscodeIn(page).locator('.tabs-container .tab', { hasText: 'Preview' }).waitFor({ timeout: 30_000 });
    assert.ok((await vscodeIn(page).locator('.editor-group-container').count()) >= 2, 'the preview is in a group of its own, beside the editor');
    const app = await appFrame(repl.previewUrl);
    // What the browser asked for, and what the app printed it was asked for.
    assert.equal(app.url(), repl.previewUrl);
    assert.equal(await app.locator('code').textContent(), '/');
    await shot('preview-beside');
  });

  it('reloads the open preview when the app restarts', async () => {
    // What a user does: edit the page, Run again, and see the new page without reloading by hand.
    // (A request count would not tell runs apart: the extension's own probe of the port is a request.)
    const source = (await t.api(token, 'GET', `/api/repls/${repl.id}/files/index.js`)).body;
    assert.match(source, /You asked for/);
    assert.ok([200, 201].includes((await t.api(token, 'PUT', `/api/repls/${repl.id}/files/index.js`, source.replace('You asked for', 'Run again: you asked for'))).status));
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/app/stop`)).status, 200);
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/app/start`)).status, 200);
    await eventually(async () => {
      const text = await (await appFrame(repl.previewUrl)).locator('p').textContent({ timeout: 1000 }).catch(() => '');
      return /^Run again: you asked for \/\./.test(text ?? '');
    }, 'the preview reloaded for the new run').catch(async (err: unknown) => {
      await shot('preview-not-reloaded');
      throw err;
    });
    await shot('preview-reloaded');
  });

  it("opens a localhost link printed in a terminal at the repl's preview URL, not /proxy/3000/", async () => {
    await vscodeIn(page).locator('.monaco-workbench').press('Control+Shift+Backquote');
    const terminal = vscodeIn(page).locator('.terminal-wrapper.active .xterm');
    await terminal.waitFor({ timeout: 30_000 });
    await vscodeIn(page).locator('.terminal-wrapper.active .xterm-rows', { hasText: '$' }).waitFor({ timeout: 30_000 });
    await terminal.click();
    await page.keyboard.type('echo http://localhost:3000/from-terminal\n');
    const row = vscodeIn(page).locator('.terminal-wrapper.active .xterm-rows > div', { hasText: /^http:\/\/localhost:3000\/from-terminal/ }).first();
    await row.waitFor({ timeout: 30_000 });
    // Where "localhost" is drawn in the row (a text range, not a guess from character widths).
    const word = await row.evaluate(WORD_IN_ROW);
    assert.ok(word, 'the printed URL is in the row');
    const box = (await row.boundingBox())!;
    const [x, y] = [box.x + word.dx, box.y + word.dy];
    // Links are asked of the providers (the extension's through its host) when the mouse enters
    // the text; the link's hover shows once the mouse then rests (VS Code restarts its hover delay
    // at every move of more than 2 px): enter, then wait without moving.
    const hover = vscodeIn(page).locator('.workbench-hover, .monaco-hover', { hasText: 'Open the preview' }).first();
    await eventually(async () => {
      await page.mouse.move(x, y - 40);
      await page.mouse.move(x, y);
      return hover.waitFor({ timeout: 3000 }).then(() => true);
    }, "the extension's link under the mouse").catch(async (err: unknown) => {
      await shot('terminal-link-no-hover');
      throw err;
    });
    await shot('terminal-link-hover');
    await page.keyboard.down('Control');
    await page.mouse.click(x, y);
    await page.keyboard.up('Control');
    const app = await appFrame(`${repl.previewUrl}from-terminal`);
    assert.equal(await app.locator('code').textContent(), '/from-terminal');
    assert.ok(!page.frames().some((f) => f.url().includes('/proxy/3000')), "code-server's port forwarding was not used");
    await shot('terminal-link');
  });

  it("leads VS Code's Run and Debug view to Codeyard's Run, until the workspace has a launch.json", async () => {
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/app/stop`)).status, 200);
    assert.equal((await t.api(token, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean }>().running, false);
    await vscodeIn(page).locator('.activitybar .action-item a[aria-label^="Run and Debug"]').click();
    const welcome = vscodeIn(page).locator('.welcome-view-content', { hasText: "This repl runs with Codeyard's Run" });
    await welcome.waitFor({ timeout: 30_000 });
    await shot('run-and-debug');
    // Codeyard's Run comes first, above VS Code's own "Run and Debug".
    const buttons = await welcome.locator('.monaco-button').allInnerTexts();
    assert.equal(buttons[0]?.trim(), 'Run', buttons.join(' | '));
    await welcome.locator('.monaco-button', { hasText: /^\s*Run\s*$/ }).click();
    await eventually(async () => (await t.api(token, 'GET', `/api/repls/${repl.id}/app`)).json<{ running: boolean }>().running, 'the app runs from the view');
    // With a debugger configuration, F5 and this view are the debugger's again.
    assert.ok([200, 201].includes((await t.api(token, 'PUT', `/api/repls/${repl.id}/files/.vscode/launch.json`, '{ "version": "0.2.0", "configurations": [] }')).status));
    await welcome.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('leads back to the dashboard from the status bar', async () => {
    const popup = page.context().waitForEvent('page', { timeout: 30_000 });
    await statusItem(/Codeyard: Frame check/).click();
    const dashboard = await popup;
    await dashboard.waitForLoadState('domcontentloaded');
    // The portal's own origin, as the portal told the extension (not the IDE's host, <id>.localhost).
    assert.equal(new URL(dashboard.url()).origin, `http://localhost:${t.port}`);
    await dashboard.screenshot({ path: path.join(SHOTS, 'ide-frame-dashboard.png') });
  });
});
