import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { ReplView } from '../src/repls/repl-record.js';
import { seriousViolations } from './helpers/axe.js';
import { templatesWithBrokenStack } from './helpers/broken-stack.js';
import { browserUnavailable, launchChromium } from './helpers/browser.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';

const SHOTS = path.join(REPO_ROOT, 'test-results', 'e2e');
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/**
 * "The dashboard leads" (#17 item 5) in real Chromium against the real portal (sandboxes,
 * code-server for the repls that start): the stacks one can use first and the others compact
 * behind "Why?", nothing stretched, My repls in sight at 1280×800, two-word names, the sort kept,
 * "1 of 1 running" and the offer to stop one to start a new one, stale errors gone, and axe-core
 * finding no serious or critical violation, light and dark, laptop and phone. Screenshots go to
 * test-results/e2e/dashboard-*.png.
 */
describe('the dashboard leads (Chromium)', { timeout: 400_000, skip: browserUnavailable() }, () => {
  let t: TestPortal;
  let browser: Browser;
  let templates: string;

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    templates = templatesWithBrokenStack();
    t = await startTestPortal({ env: { CODEYARD_TEMPLATES: templates, CODEYARD_MAX_REPLS_PER_ACCOUNT: '4', CODEYARD_MAX_RUNNING_PER_ACCOUNT: '1' } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    if (templates) fs.rmSync(templates, { recursive: true, force: true });
  });

  const home = () => `http://localhost:${t.port}/`;
  const shot = (page: Page, name: string): Promise<unknown> => page.screenshot({ path: path.join(SHOTS, `dashboard-${name}.png`) });

  /** A browser signed in as a fresh account (its token for the API too), watching for page errors. */
  async function signedIn(options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark'; token?: string } = {}): Promise<{ context: BrowserContext; page: Page; token: string; problems: string[] }> {
    const token = options.token ?? (await t.newToken());
    const context = await browser.newContext({ viewport: options.viewport ?? LAPTOP, colorScheme: options.colorScheme ?? 'light' });
    await context.addCookies([{ name: 'codeyard_token', value: token, url: home() }]);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Uncaught/i.test(msg.text())) problems.push(msg.text());
    });
    return { context, page, token, problems };
  }

  async function createRepl(token: string, body: Record<string, unknown> = { stack: 'node' }): Promise<ReplView> {
    const res = await t.api(token, 'POST', '/api/repls', body);
    assert.equal(res.status, 201, res.body);
    return res.json<ReplView>();
  }
  const repls = async (token: string): Promise<ReplView[]> => (await t.api(token, 'GET', '/api/repls')).json<ReplView[]>();
  const card = (page: Page, id: string): Locator => page.locator(`repl-card[data-id="${id}"]`);
  const cardNames = (page: Page): Promise<string[]> => page.locator('repl-card h3').allInnerTexts();

  /** The deepest focused element's accessible name, through shadow roots (a string: no DOM types here). */
  const focusedLabel = (page: Page) =>
    page.evaluate<string | undefined>(`(() => {
      let el = document.activeElement;
      while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
      return el ? (el.getAttribute('aria-label') ?? el.textContent.trim()) : undefined;
    })()`);

  it('leads with the stacks one can use, unstretched; the others compact with Why? by keyboard; My repls in sight at 1280×800', async () => {
    const { context, page, token, problems } = await signedIn();
    const made = [await createRepl(token), await createRepl(token)];
    await page.goto(home());
    await card(page, made[0]!.id).waitFor();
    await page.locator('button.stack[data-stack="node"]').waitFor();

    // Every card is a stack one can use; the unavailable one is a line after them.
    const cards = page.locator('ul.stacks button.stack');
    const ids = await cards.evaluateAll((els) => els.map((el) => (el as unknown as { dataset: { stack: string } }).dataset.stack));
    assert.ok(ids.includes('node') && !ids.includes('nosuch'), ids.join(','));
    for (const id of ids) assert.equal(await page.locator(`button.stack[data-stack="${id}"]`).isEnabled(), true, id);
    const cardsBottom = Math.max(...(await Promise.all((await cards.all()).map(async (c) => (await c.boundingBox())!))).map((b) => b.y + b.height));
    const unavailable = page.locator('li.unavailable[data-stack="nosuch"]');
    assert.ok((await unavailable.boundingBox())!.y > cardsBottom, 'the unavailable stack comes after the usable ones');
    assert.ok((await unavailable.boundingBox())!.height < 40, 'and takes one line');

    // No card is stretched to the tallest of its row: each ends where its own text ends.
    for (const c of await cards.all()) {
      const box = (await c.boundingBox())!;
      const text = (await c.locator('.description').boundingBox())!;
      assert.ok(box.y + box.height - (text.y + text.height) < 20, `card ${await c.getAttribute('data-stack')} ends after its text (card ${JSON.stringify(box)}, text ${JSON.stringify(text)})`);
    }

    // My repls and the first repl's card begin within the first screen.
    const heading = (await page.getByRole('heading', { name: /^My repls/ }).boundingBox())!;
    const first = (await card(page, (await repls(token))[0]!.id).boundingBox())!;
    assert.ok(heading.y + heading.height < LAPTOP.height && first.y + 60 < LAPTOP.height, `My repls in sight without scrolling (heading ${heading.y}, first card ${first.y})`);

    // Why? by keyboard: Tab reaches it, Enter opens the reason.
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await focusedLabel(page)) === 'Why is NoSuchLang unavailable?';
    }
    assert.ok(reached, 'Tab reaches Why?');
    assert.equal(await unavailable.locator('.reason').isVisible(), false);
    await page.keyboard.press('Enter');
    await unavailable.locator('.reason').filter({ hasText: /Install NoSuchLang from nowhere/ }).waitFor();
    await shot(page, 'why');
    await page.keyboard.press('Enter');
    await unavailable.locator('.reason').waitFor({ state: 'hidden' });

    await shot(page, 'light-1280');
    assert.deepEqual(await seriousViolations(page), []);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('names new repls with two words none of them share, and keeps the sort order chosen', async () => {
    const { context, page, token, problems } = await signedIn();
    for (let i = 0; i < 3; i++) await createRepl(token);
    const names = (await repls(token)).map((r) => r.name);
    for (const name of names) assert.match(name, /^[a-z]+-[a-z]+$/);
    assert.equal(new Set(names).size, 3, names.join(', '));

    await page.goto(home());
    await page.locator('repl-card').nth(2).waitFor();
    await page.getByRole('combobox', { name: 'Sort repls' }).selectOption('name');
    const byName = [...names].sort((a, b) => a.localeCompare(b));
    assert.deepEqual(await cardNames(page), byName);
    await page.reload();
    await page.locator('repl-card').nth(2).waitFor();
    assert.equal(await page.getByRole('combobox', { name: 'Sort repls' }).inputValue(), 'name', 'the choice is kept');
    assert.deepEqual(await cardNames(page), byName);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('clears an error once something else has worked', async () => {
    const { context, page, token, problems } = await signedIn();
    const made: ReplView[] = [];
    for (let i = 0; i < 4; i++) made.push(await createRepl(token));
    await page.goto(home());
    await card(page, made[0]!.id).waitFor();
    // The repl limit (4) refuses a fifth, from the picker and as a fork: two errors shown.
    await page.locator('button.stack[data-stack="node"]').click();
    const banner = page.locator('stack-picker .create-error');
    await banner.filter({ hasText: /the repl limit/ }).waitFor();
    await card(page, made[1]!.id).getByRole('button', { name: /^Fork / }).click();
    const cardError = card(page, made[1]!.id).locator('.action-error');
    await cardError.filter({ hasText: /the repl limit/ }).waitFor();
    await shot(page, 'errors');
    // A delete that works: both errors are stale now.
    await card(page, made[0]!.id).getByRole('button', { name: /^Delete / }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete repl' }).click();
    await card(page, made[0]!.id).waitFor({ state: 'detached' });
    await banner.filter({ hasText: /\S/ }).waitFor({ state: 'hidden' });
    await cardError.filter({ hasText: /\S/ }).waitFor({ state: 'hidden' });
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('shows "1 of 1 running"; at the limit, offers to stop the running repl and start a new one, and makes none until then', async () => {
    const { context, page, token, problems } = await signedIn();
    const idle = await createRepl(token, { stack: 'static', name: 'my site' });
    const running = await createRepl(token, { stack: 'node', name: 'busy one' });
    assert.equal((await t.api(token, 'POST', `/api/repls/${running.id}/start`)).status, 200);
    // Where the dashboard sends the browser once the new repl runs: VS Code is not what this test is about.
    await context.route('**/open/*', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>opened</title>opened' }));
    await page.goto(home());
    await page.locator('repl-list .running').filter({ hasText: '1 of 1 running' }).waitFor();
    // The README's picture: a running repl with what it uses.
    await card(page, running.id).locator('.usage .memory').filter({ hasText: /\d+ MB/ }).waitFor({ timeout: 30_000 });
    await shot(page, 'running');

    await page.locator('button.stack[data-stack="node"]').click();
    const offer = page.locator('running-limit');
    await offer.getByText('1 of 1 running.').waitFor();
    assert.deepEqual((await repls(token)).map((r) => r.id), [running.id, idle.id], 'nothing made while the limit stands');
    await shot(page, 'running-limit');
    assert.deepEqual(await seriousViolations(page), []);

    await offer.getByRole('button', { name: 'Stop busy one and start this' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/open/'), { timeout: 150_000 });
    const after = await repls(token);
    assert.equal(after.length, 3, 'one new repl, no half-made ones');
    const fresh = after.find((r) => r.id !== running.id && r.id !== idle.id)!;
    assert.match(fresh.name, /^[a-z]+-[a-z]+$/);
    assert.equal(fresh.status, 'running');
    assert.equal(after.find((r) => r.id === running.id)!.status, 'stopped');
    assert.equal(new URL(page.url()).pathname, `/open/${fresh.id}`);
    assert.deepEqual(problems, []);
    await t.api(token, 'POST', `/api/repls/${fresh.id}/stop`);
    await context.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    for (const [label, viewport] of [['1280', LAPTOP], ['390', PHONE]] as const) {
      it(`has no serious or critical axe-core violation, ${colorScheme} at ${viewport.width}×${viewport.height}; primary buttons reach 4.5:1`, async () => {
        const { context, page, token, problems } = await signedIn({ viewport, colorScheme });
        const repl = await createRepl(token);
        await page.goto(home());
        await card(page, repl.id).waitFor();
        await page.locator('li.unavailable summary').click(); // the reason is checked too
        const open = card(page, repl.id).getByRole('link', { name: /^Open IDE for / });
        const ratio = await open.evaluate(CONTRAST);
        assert.ok(ratio >= 4.5, `Open IDE's text on its background: ${ratio.toFixed(2)}:1`);
        if (!(colorScheme === 'light' && label === '1280')) await page.screenshot({ path: path.join(SHOTS, `dashboard-${colorScheme}-${label}.png`), fullPage: true });
        assert.deepEqual(await seriousViolations(page), []);
        if (viewport === PHONE) assert.ok((await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')) <= 0, 'no sideways scrolling');
        assert.deepEqual(problems, []);
        await context.close();
      });
    }
  }
});

/** The contrast ratio (WCAG 2) of an element's text color on its own background color (both opaque rgb()). */
const CONTRAST = new Function(
  'el',
  `const style = getComputedStyle(el);
  const lum = (css) => {
    const [r, g, b] = css.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map((c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(style.color), lum(style.backgroundColor)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);`,
) as (el: unknown) => number;
