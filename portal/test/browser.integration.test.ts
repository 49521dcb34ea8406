import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPL_ID_PATTERN } from '@codeyard/common/repl-id';
import type { Browser, Locator, Page } from 'playwright-core';
import { browserUnavailable, launchChromium, vscodeIn } from './helpers/browser.js';
import { eventually } from './helpers/http.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * Waits for a repl card to show `status`. Usually well under a second; in some full-suite runs on
 * a loaded machine a stop or a start took over a minute (cause not found yet), so the wait is
 * generous and a timeout says where the repl was, from the API.
 */
async function cardReaches(card: Locator, status: 'stopped' | 'running', t: TestPortal, token: string, replId: string): Promise<void> {
  await card.locator(`.status.${status}`).waitFor({ timeout: 150_000 }).catch(async (err: unknown) => {
    const repl = (await t.api(token, 'GET', `/api/repls/${replId}`)).json<{ status: string; step?: string; error?: string }>();
    throw new Error(`the card did not show ${status}; the API says ${JSON.stringify({ status: repl.status, step: repl.step, error: repl.error })}: ${String(err)}`);
  });
}

const SHOTS = path.join(REPO_ROOT, 'test-results', 'e2e');
const EDIT = '<em>edited in Codeyard</em>';

/**
 * A newcomer's first minutes, end to end in real Chromium: pick Node.js on the home page, land
 * in VS Code with the main file open, change it in the editor, press the extension's Run button,
 * see the change in the preview, stop, stop and start the repl, and find the change still there.
 * A screenshot of every step goes to test-results/e2e/.
 */
describe('in a real browser', { timeout: 420_000, skip: browserUnavailable() }, () => {
  let t: TestPortal;
  let browser: Browser;
  let step = 0;
  const shot = (page: Page, name: string): Promise<unknown> => page.screenshot({ path: path.join(SHOTS, `${String(++step).padStart(2, '0')}-${name}.png`) });

  before(async () => {
    fs.rmSync(SHOTS, { recursive: true, force: true });
    fs.mkdirSync(SHOTS, { recursive: true });
    t = await startTestPortal();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('creates a Node repl, edits it in VS Code, runs it, previews it, and keeps the change across a restart', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const home = await context.newPage();
    await home.goto(`http://localhost:${t.port}/`);
    const nodeCard = home.locator('button.stack[data-stack="node"]');
    await nodeCard.waitFor();
    assert.equal(await nodeCard.isEnabled(), true);
    await shot(home, 'home');

    // Create → the Starting view with the runtime's steps → VS Code.
    const t0 = Date.now();
    await nodeCard.click();
    await home.locator('starting-view h2', { hasText: /^Starting / }).waitFor({ timeout: 30_000 });
    await shot(home, 'starting');
    await vscodeIn(home).locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    const ide = home;
    const replId = new URL(ide.url()).host.split('.')[0]!;
    assert.match(replId, REPL_ID_PATTERN);
    await vscodeIn(ide).locator('.tabs-container .tab', { hasText: 'index.js' }).waitFor({ timeout: 30_000 });
    await vscodeIn(ide).locator('.monaco-editor .view-lines', { hasText: 'Press Run' }).waitFor({ timeout: 30_000 });
    await vscodeIn(ide).locator('.statusbar-item', { hasText: '▶ Run' }).waitFor({ timeout: 60_000 });
    assert.equal(await vscodeIn(ide).locator('.monaco-workbench .restricted-mode-indicator, .workspace-trust-banner').count(), 0, 'no Restricted Mode');
    process.stdout.write(`# VS Code ready ${((Date.now() - t0) / 1000).toFixed(1)}s after clicking the Node.js card\n`);
    await shot(ide, 'ide');

    // Type a change into the page the app serves: end of line 12 (the <h1>), inside the template.
    await vscodeIn(ide).locator('.monaco-editor .view-lines').first().click();
    await ide.keyboard.press('Control+G');
    await ide.keyboard.type('12');
    await ide.keyboard.press('Enter');
    await ide.keyboard.press('End');
    await ide.keyboard.type(` ${EDIT}`);
    await ide.keyboard.press('Control+S');
    await vscodeIn(ide).locator('.monaco-editor .view-lines', { hasText: 'edited in Codeyard' }).waitFor();
    const token = (await context.cookies(`http://localhost:${t.port}`)).find((c) => c.name === 'codeyard_token')?.value;
    assert.ok(token, 'the page made a session');
    await eventually(async () => (await t.api(token, 'GET', `/api/repls/${replId}/files/index.js`)).body.includes(EDIT), 'the edit saved to the workspace');
    await shot(ide, 'edited');

    // The extension's Run button in the editor title.
    await vscodeIn(ide).locator('.editor-actions .action-label[aria-label*="Run"]').first().click();
    await vscodeIn(ide).locator('.statusbar-item', { hasText: '■ Stop' }).waitFor({ timeout: 30_000 });
    const toast = vscodeIn(ide).locator('.notification-toast', { hasText: 'Your app is listening on port 3000' });
    await toast.waitFor({ timeout: 60_000 });
    await toast.locator('.monaco-button', { hasText: 'Open Preview' }).click();
    await eventually(async () => {
      const frame = ide.frames().find((f) => f.url().startsWith(`http://${replId}-3000.localhost`));
      const text = frame ? ((await frame.locator('body').textContent({ timeout: 1000 }).catch(() => '')) ?? '') : '';
      return text.includes('edited in Codeyard');
    }, 'the change in the preview beside the editor').catch(async (err: unknown) => {
      await shot(ide, 'failed-preview');
      throw err;
    });
    await shot(ide, 'ide-with-preview');

    // The preview in a tab of its own, as a visitor sees it.
    const preview = await context.newPage();
    await preview.goto(`http://${replId}-3000.localhost:${t.port}/`);
    assert.match((await preview.locator('h1').textContent()) ?? '', /^Hello from Node\.js v\d+/);
    assert.equal(await preview.locator('em').textContent(), 'edited in Codeyard');
    await shot(preview, 'preview');

    // Stop the app with the extension's Stop button.
    await ide.bringToFront();
    await vscodeIn(ide).locator('.editor-actions .action-label[aria-label*="Stop"]').first().click();
    await vscodeIn(ide).locator('.statusbar-item', { hasText: '▶ Run' }).waitFor({ timeout: 30_000 });
    await eventually(async () => !(await t.api(token, 'GET', `/api/repls/${replId}/app`)).json().running, 'the app to stop');
    await shot(ide, 'stopped-app');

    // Stop and start the whole repl from the dashboard.
    const dash = await context.newPage();
    await dash.goto(`http://localhost:${t.port}/`);
    const card = dash.locator(`repl-card[data-id="${replId}"]`);
    await card.locator('button.power', { hasText: 'Stop repl' }).click();
    await cardReaches(card, 'stopped', t, token, replId);
    await shot(dash, 'repl-stopped');
    assert.equal((await t.api(token, 'GET', `/api/repls/${replId}`)).json().sync.state, 'stored');
    await card.locator('button.power', { hasText: 'Start repl' }).click();
    await cardReaches(card, 'running', t, token, replId);
    await shot(dash, 'repl-started');

    // The change came back from the store: in the editor, and in the app once it runs again.
    await ide.bringToFront();
    await ide.goto((await t.api(token, 'POST', `/api/repls/${replId}/ide-link`, {})).json().url);
    await vscodeIn(ide).locator('.monaco-editor .view-lines', { hasText: 'edited in Codeyard' }).waitFor({ timeout: 90_000 });
    await vscodeIn(ide).locator('.statusbar-item', { hasText: '▶ Run' }).click({ timeout: 60_000 });
    await eventually(async () => {
      await preview.goto(`http://${replId}-3000.localhost:${t.port}/`);
      return ((await preview.locator('body').textContent().catch(() => '')) ?? '').includes('edited in Codeyard');
    }, 'the restored change served again');
    await shot(ide, 'after-restart');
    await context.close();
  });
});
