import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { browserUnavailable, launchChromium } from './helpers/browser.js';
import { templatesWithBrokenStack } from './helpers/broken-stack.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';

const SHOTS = path.join(REPO_ROOT, 'test-results', 'ui');

/**
 * The dashboard (portal/ui, Lit) in real Chromium against the real portal: stacks, creation
 * errors, deleting with confirmation, live status, keyboard use, narrow screens.
 */
describe('dashboard in a real browser', { timeout: 300_000, skip: browserUnavailable() }, () => {
  let t: TestPortal;
  let browser: Browser;
  let templates: string;

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    templates = templatesWithBrokenStack();
    t = await startTestPortal({ env: { CODEYARD_TEMPLATES: templates, CODEYARD_MAX_REPLS_PER_ACCOUNT: '1' } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    if (templates) fs.rmSync(templates, { recursive: true, force: true });
  });

  const home = () => `http://localhost:${t.port}/`;

  /** A browser signed in as a fresh account (the page's own cookie), and its token for the API. */
  async function signedIn(viewport = { width: 1280, height: 860 }): Promise<{ context: BrowserContext; page: Page; token: string; problems: string[] }> {
    const token = await t.newToken();
    const context = await browser.newContext({ viewport });
    await context.addCookies([{ name: 'codeyard_token', value: token, url: home() }]);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Uncaught/i.test(msg.text())) problems.push(msg.text());
    });
    return { context, page, token, problems };
  }

  async function createRepl(token: string, name: string): Promise<{ id: string; name: string }> {
    const res = await t.api(token, 'POST', '/api/repls', { stack: 'node', name });
    assert.equal(res.status, 201, res.body);
    return res.json();
  }

  const card = (page: Page, id: string): Locator => page.locator(`repl-card[data-id="${id}"]`);

  /**
   * The element that has the focus, through shadow roots. Page-side code is a string: this
   * program is compiled without the DOM library.
   */
  const focused = (page: Page) =>
    page.evaluate<{ tag: string; stack?: string; label: string } | undefined>(`(() => {
      let el = document.activeElement;
      while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
      return el ? { tag: el.tagName.toLowerCase(), stack: el.dataset.stack, label: el.getAttribute('aria-label') ?? el.textContent.trim() } : undefined;
    })()`);

  it('makes a session on the first visit and shows the stacks, an unavailable one after them with its reason behind Why?', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const res = await page.goto(home());
    assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
    const node = page.locator('button.stack[data-stack="node"]');
    await node.waitFor();
    assert.equal(await node.isEnabled(), true);
    // No session before: the page made one, and the portal cookie is set.
    assert.ok((await context.cookies(home())).some((c) => c.name === 'codeyard_token'));

    // Not a card one could try to press: a line after the cards, the reason one click away.
    assert.equal(await page.locator('button.stack[data-stack="nosuch"]').count(), 0);
    const broken = page.locator('li.unavailable[data-stack="nosuch"]');
    assert.equal(await broken.locator('.reason').isVisible(), false);
    await broken.getByText('Why?').click();
    assert.match((await broken.locator('.reason').innerText()) ?? '', /nosuchlang was not found.*Install NoSuchLang from nowhere/s);
    // Empty state for a new account.
    await page.getByText('No repls yet').waitFor();
    await context.close();
  });

  it('shows a failed creation next to the picker, with the API message', async () => {
    const { context, page, token, problems } = await signedIn();
    await createRepl(token, 'first');
    await page.goto(home());
    await card(page, (await t.api(token, 'GET', '/api/repls')).json()[0].id).waitFor();
    await page.locator('button.stack[data-stack="node"]').click();
    const alert = page.locator('stack-picker .create-error');
    await alert.filter({ hasText: /\S/ }).waitFor();
    const text = await alert.innerText();
    const apiMessage = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json().error.message as string;
    assert.equal(text.trim(), apiMessage);
    assert.match(text, /1/);
    // Still on the dashboard, cards usable again.
    assert.equal(await page.locator('button.stack[data-stack="node"]').isEnabled(), true);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('asks before deleting: cancel keeps the repl, confirm removes it', async () => {
    const { context, page, token, problems } = await signedIn();
    const repl = await createRepl(token, 'doomed');
    await page.goto(home());
    await card(page, repl.id).waitFor();

    await page.getByRole('button', { name: 'Delete doomed' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete doomed?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await t.api(token, 'GET', `/api/repls/${repl.id}`)).status, 200);
    assert.equal(await card(page, repl.id).count(), 1);

    await page.getByRole('button', { name: 'Delete doomed' }).click();
    await dialog.getByRole('button', { name: 'Delete repl' }).click();
    await card(page, repl.id).waitFor({ state: 'detached' });
    assert.equal((await t.api(token, 'GET', `/api/repls/${repl.id}`)).status, 404);
    await page.getByText('No repls yet').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('follows a repl started and stopped from the API without a reload', async () => {
    const { context, page, token, problems } = await signedIn();
    const repl = await createRepl(token, 'live');
    await page.goto(home());
    const status = card(page, repl.id).locator('.status .label');
    await status.filter({ hasText: 'Stopped' }).waitFor();
    await page.locator('codeyard-app[data-feed="live"]').waitFor();
    const start = await t.api(token, 'POST', `/api/repls/${repl.id}/start`);
    assert.equal(start.status, 200, start.body);
    await status.filter({ hasText: 'Running' }).waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });
    const stop = await t.api(token, 'POST', `/api/repls/${repl.id}/stop`);
    assert.equal(stop.status, 200, stop.body);
    await status.filter({ hasText: 'Stopped' }).waitFor({ timeout: 20_000 });
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('falls back to polling when the event stream is refused', async () => {
    const { context, page, token } = await signedIn();
    await context.route('**/api/events', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"code":"NOT_FOUND","message":"no route"}}' }));
    const repl = await createRepl(token, 'before');
    await page.goto(home());
    await card(page, repl.id).locator('h3', { hasText: 'before' }).waitFor();
    await page.locator('codeyard-app[data-feed="polling"]').waitFor();
    const renamed = await t.api(token, 'PATCH', `/api/repls/${repl.id}`, { name: 'after' });
    assert.equal(renamed.status, 200, renamed.body);
    await card(page, repl.id).locator('h3', { hasText: 'after' }).waitFor({ timeout: 15_000 });
    await context.close();
  });

  it('works with the keyboard alone, and every control has a name', async () => {
    const { context, page, token, problems } = await signedIn();
    const repl = await createRepl(token, 'keys');
    await page.goto(home());
    await card(page, repl.id).waitFor();

    // Tab reaches the Node.js card; Enter activates it (this account is full: the 409 shows).
    let reached = false;
    for (let i = 0; i < 15 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await focused(page))?.stack === 'node';
    }
    assert.ok(reached, 'Tab reaches the Node.js stack card');
    await page.keyboard.press('Enter');
    await page.locator('stack-picker .create-error').filter({ hasText: /\S/ }).waitFor();

    // Tab goes on to the repl's actions: Rename by Enter opens the name field, Escape closes it.
    reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await focused(page))?.label === 'Rename keys';
    }
    assert.ok(reached, 'Tab reaches the Rename button');
    await page.keyboard.press('Enter');
    const field = page.getByRole('textbox', { name: 'New name for keys' });
    await field.waitFor();
    await page.keyboard.type('renamed by keyboard');
    await page.keyboard.press('Enter');
    await card(page, repl.id).locator('h3', { hasText: 'renamed by keyboard' }).waitFor();
    assert.equal((await t.api(token, 'GET', `/api/repls/${repl.id}`)).json().name, 'renamed by keyboard');

    // Delete by keyboard: the dialog opens on Cancel (the safe choice), Escape closes it.
    reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await focused(page))?.label === 'Delete renamed by keyboard';
    }
    assert.ok(reached, 'Tab reaches the Delete button');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    assert.equal((await focused(page))?.label, 'Cancel');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal((await t.api(token, 'GET', `/api/repls/${repl.id}`)).status, 200);

    // Names: the accessibility tree has no unnamed control.
    const tree = await page.locator('body').ariaSnapshot();
    const unnamed = tree.split('\n').filter((line) => /^\s*- (button|link|textbox|searchbox|combobox|checkbox|switch)\s*(\[[^\]]*\])?\s*:?\s*$/.test(line));
    assert.deepEqual(unnamed, [], `unnamed controls in:\n${tree}`);
    for (const name of ['Open IDE for renamed by keyboard', 'Fork renamed by keyboard', 'Download renamed by keyboard as zip']) {
      assert.equal(await page.getByRole(name.startsWith('Fork') ? 'button' : 'link', { name }).count(), 1, name);
    }
    assert.equal(await page.getByRole('searchbox', { name: 'Search repls' }).count(), 1);
    assert.equal(await page.getByRole('combobox', { name: 'Sort repls' }).count(), 1);
    assert.equal(await page.getByRole('switch', { name: /Public preview of renamed by keyboard/ }).count(), 1);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('fits a 400 px wide screen', async () => {
    const { context, page, token, problems } = await signedIn({ width: 400, height: 860 });
    const repl = await createRepl(token, 'a repl with a rather long name for a phone');
    await page.goto(home());
    await card(page, repl.id).waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `no sideways scrolling at 400 px (overflow ${overflow}px)`);
    const box = await card(page, repl.id).getByRole('button', { name: /^Delete / }).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 400, `the actions stay on screen (${JSON.stringify(box)})`);
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-400px.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
  });
});
