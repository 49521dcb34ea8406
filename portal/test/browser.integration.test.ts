import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserUnavailable, launchChromium } from './helpers/browser.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';

const SHOTS = path.join(REPO_ROOT, 'test-results');

/**
 * A newcomer's first minutes, in real Chromium: open the portal, pick Node.js, land in VS Code
 * with the main file open, press Run, open the preview.
 */
describe('in a real browser', { timeout: 300_000, skip: browserUnavailable() }, () => {
  let t: TestPortal;
  let browser: Browser;

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    t = await startTestPortal();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('goes from the home page to VS Code, runs the app and shows the preview', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`http://localhost:${t.port}/`);
    const nodeCard = page.locator('button.stack[data-stack="node"]');
    await nodeCard.waitFor();
    assert.equal(await nodeCard.isEnabled(), true);
    // An unavailable stack is shown greyed out, with its reason.
    for (const card of await page.locator('button.stack:disabled').all()) assert.match(await card.innerText(), /not found|older/);

    const t0 = Date.now();
    await nodeCard.click();
    // The Starting view shows the runtime's steps, then the page moves on to the IDE.
    await page.locator('starting-view h2', { hasText: /^Starting / }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SHOTS, 'starting.png') }).catch(() => {});
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    const host = new URL(page.url()).host;
    const replId = host.split('.')[0]!;
    assert.match(replId, /^[a-z][a-z2-7]{11}$/);
    // The main file opens in an editor tab and the explorer shows the workspace.
    await page.locator('.tabs-container .tab', { hasText: 'index.js' }).waitFor({ timeout: 30_000 });
    await page.locator('.explorer-folders-view', { hasText: 'package.json' }).waitFor({ timeout: 30_000 });
    // The editor shows the file's real content (read through the sandboxed code-server).
    await page.locator('.monaco-editor .view-lines', { hasText: 'Press Run' }).waitFor({ timeout: 30_000 });
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    await page.screenshot({ path: path.join(SHOTS, 'ide.png') });
    // Nothing in the way: no Restricted Mode banner, no chat panel.
    assert.equal(await page.locator('.monaco-workbench .restricted-mode-indicator, .workspace-trust-banner').count(), 0);
    process.stdout.write(`# IDE ready ${seconds}s after clicking the Node.js card\n`);

    // The browser's own session token drives the API, as the page does.
    const token = (await context.cookies(`http://localhost:${t.port}`)).find((c) => c.name === 'codeyard_token')?.value;
    assert.ok(token);
    const run = await t.api(token, 'POST', `/api/repls/${replId}/app/start`);
    assert.equal(run.status, 200, run.body);

    const preview = await context.newPage();
    const previewUrl = `http://${replId}-3000.localhost:${t.port}/`;
    let heading = '';
    for (let attempt = 0; attempt < 50 && !heading.startsWith('Hello from Node.js'); attempt++) {
      await preview.goto(previewUrl);
      heading = (await preview.locator('h1').textContent().catch(() => '')) ?? '';
      if (!heading.startsWith('Hello')) await preview.waitForTimeout(200);
    }
    assert.match(heading, /^Hello from Node\.js v\d+/);
    await preview.screenshot({ path: path.join(SHOTS, 'preview.png') });

    // Back home, the repl is listed as running, with its app running.
    await page.goto(`http://localhost:${t.port}/`);
    const item = page.locator(`repl-card[data-id="${replId}"]`);
    await item.locator('.status .label', { hasText: 'Running' }).waitFor();
    assert.match(await item.locator('dd.app').innerText(), /running/);
    await page.screenshot({ path: path.join(SHOTS, 'home.png') });
    await context.close();
  });
});
