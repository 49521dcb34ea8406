import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ReplView } from '../src/repls/repl-service.js';
import { browserUnavailable, launchChromium, vscodeIn } from './helpers/browser.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

const skip = browserUnavailable();

/**
 * Issue 17, item 1: open editors must follow the disk, like desktop VS Code. The IDE link opens
 * the stack's main file; it used to open it under an authority without the port, a resource
 * VS Code's file watcher never reported on, so that editor went stale and its saves were
 * refused as "newer on disk". A change typed in another tab, one made while a window loads, a
 * terminal write and a command's rewrite are seen by the open editors; a save that fails shows
 * in the Codeyard save state.
 *
 * Bringing a headless page to the front gives VS Code no focus event (a stale tab stayed stale
 * through it), so these get no help from VS Code re-reading visible editors when its window gains
 * focus: what reloads them is the window's own file watcher, or the Codeyard extension's
 * (vscode-extension/src/disk-follower.ts) where VS Code's starts too late.
 */
describe('open editors follow the disk', { skip, timeout: 300_000 }, () => {
  let t: TestPortal;
  let token: string;
  let repl: ReplView;
  let browser: Browser;
  let context: BrowserContext;
  let tabA: Page;
  let tabB: Page;

  const mainEditor = (page: Page) => vscodeIn(page).locator('.editor-instance .monaco-editor[data-uri$="/index.js"]').first();
  /** Polls the main editor's text for `text`; answers how long it took (bounded). */
  const shows = async (page: Page, text: string, ms = 5000): Promise<number> => {
    // As a person looks at it: a hidden page draws nothing.
    await page.bringToFront();
    const began = Date.now();
    while (Date.now() - began < ms) {
      // Monaco draws spaces as no-break spaces.
      const shown = ((await mainEditor(page).locator('.view-lines').textContent().catch(() => '')) ?? '').replaceAll('\u00a0', ' ');
      if (shown.includes(text)) return Date.now() - began;
      await page.waitForTimeout(100);
    }
    throw new Error(`the editor did not show ${JSON.stringify(text)} within ${ms} ms`);
  };
  /** Waits (bounded) until index.js on disk holds `text`. */
  const onDisk = async (text: string): Promise<void> => {
    for (let i = 0; i < 60; i++) {
      const res = await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'cat index.js' });
      if (res.json<{ stdout: string }>().stdout.includes(text)) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`index.js never held ${JSON.stringify(text)}`);
  };
  const openIde = async (): Promise<Page> => {
    const page = await context.newPage();
    await page.goto((await t.api(token, 'POST', `/api/repls/${repl.id}/ide-link`, {})).json<{ url: string }>().url);
    await mainEditor(page).locator('.view-lines', { hasText: 'createServer' }).waitFor({ timeout: 120_000 });
    return page;
  };

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_REPL_NETWORK: 'none' } });
    token = await t.newToken();
    repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'two tabs' })).json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    tabA = await openIde();
    tabB = await openIde();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it("opens the main file as the workspace's own resource, once", async () => {
    for (const page of [tabA, tabB]) {
      const uri = new URL((await mainEditor(page).getAttribute('data-uri'))!);
      assert.equal(uri.host, new URL(page.url()).host, 'the same authority as the workbench (port included)');
      assert.equal(await vscodeIn(page).locator('.tabs-container .tab', { hasText: 'index.js' }).count(), 1, 'one editor for the file');
    }
  });

  // Typed right after both tabs loaded: tab B's own file watcher may not be up yet (see below).
  it('shows a change made in another tab', async () => {
    await tabA.bringToFront();
    await mainEditor(tabA).locator('.view-lines').click();
    await tabA.keyboard.press('Control+Home');
    await tabA.keyboard.type('// typed in tab A\n');
    // Auto save writes it after a second; the other tab's clean editor then reloads from the disk.
    await onDisk('typed in tab A');
    process.stdout.write(`# a change in tab A seen in tab B after ${await shows(tabB, 'typed in tab A', 15_000)} ms\n`);
    // Read again, not edited: nothing for tab B to save, so nothing to conflict with.
    assert.equal(await vscodeIn(tabB).locator('.tabs-container .tab.dirty').count(), 0, "tab B's editor is clean");
  });

  // The case that kept the test above a todo: a window asks the server for its file watcher only
  // seconds after its editors show (VS Code creates it in idle time after the restore), and a
  // change made in between was never reported to it. Made on purpose here, as the editor shows.
  it('shows a change made while the window was still loading', async () => {
    const tabC = await openIde();
    await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: "echo '// written as tab C loaded' >> index.js" });
    process.stdout.write(`# a change made as tab C loaded seen in tab C after ${await shows(tabC, 'written as tab C loaded', 30_000)} ms\n`);
    for (const page of [tabA, tabB]) await shows(page, 'written as tab C loaded', 15_000);
    await tabC.close();
  });

  // The figures are printed; the bound is loose on purpose (a loaded CI machine is slow): what
  // fails is an editor that never follows.
  it('shows a change made in a terminal and one made by a command, in the open editor', async () => {
    await tabA.bringToFront();
    await tabA.keyboard.press('Control+Backquote');
    const terminal = vscodeIn(tabA).locator('.terminal-wrapper .xterm').first();
    await terminal.waitFor({ timeout: 30_000 });
    await terminal.click();
    await tabA.waitForTimeout(1500); // the shell's prompt
    await tabA.keyboard.type("echo '// written by the terminal' >> index.js\n");
    await onDisk('written by the terminal');
    process.stdout.write(`# the terminal's write seen in the editor after ${await shows(tabA, 'written by the terminal', 10_000)} ms\n`);
    await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: "sed -i '1i // inserted by a command' index.js" });
    process.stdout.write(`# a command's rewrite seen in the editor after ${await shows(tabA, 'inserted by a command', 10_000)} ms\n`);
  });

  it('says so in the Codeyard save state when an editor cannot be saved', async () => {
    await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'chmod 444 index.js' });
    await tabA.bringToFront();
    await mainEditor(tabA).locator('.view-lines').click();
    await tabA.keyboard.press('Control+End');
    await tabA.keyboard.type('// cannot be written\n');
    await vscodeIn(tabA).locator('.statusbar-item', { hasText: 'Not saved: index.js' }).waitFor({ timeout: 20_000 });
    // Writable again, a save goes through and the warning goes away.
    await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'chmod 644 index.js' });
    await tabA.keyboard.press('Control+s');
    await vscodeIn(tabA).locator('.statusbar-item', { hasText: 'Not saved' }).waitFor({ state: 'detached', timeout: 20_000 });
    await vscodeIn(tabA).locator('.statusbar-item', { hasText: /^\s*Saved\s*$/ }).waitFor({ timeout: 20_000 });
    assert.match((await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'tail -1 index.js' })).json<{ stdout: string }>().stdout, /cannot be written/);
  });
});
