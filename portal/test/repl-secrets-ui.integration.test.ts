import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SECRETS_TOTAL_MAX_BYTES, SECRET_VALUE_MAX_BYTES, secretNameProblem } from '@codeyard/common/secrets';
import type { SecretList } from '@codeyard/common/api/secrets';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { seriousViolations } from './helpers/axe.js';
import { browserUnavailable, launchChromium } from './helpers/browser.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';

const SHOTS = path.join(REPO_ROOT, 'test-results', 'secrets');
const REACH = 'Run and new terminals get them; a running app gets a change at its next Run or Restart. Forks and class copies do not.';
/** Page-side: the first element matching a selector, through shadow roots. */
const DEEP = `((root, sel) => { const find = (r) => r.querySelector(sel) ?? [...r.querySelectorAll('*')].reduce((hit, el) => hit ?? (el.shadowRoot ? find(el.shadowRoot) : null), null); return find(root); })`;
const NOT_APPLIED = 'The running repl has not got the latest change yet: restart it or try again.';

/**
 * A repl's Secrets dialog (portal/ui/src/elements/repl-secrets) in real Chromium against the
 * real portal and its secrets API: the owner adds, replaces and removes a secret whose value
 * never shows in the page; a bad name is explained and nothing is sent; the API's own refusal
 * shows as it is; keyboard alone; axe-core. The repls stay stopped: delivery to a running repl
 * is the API's tests' part. Screenshots: test-results/secrets/.
 */
describe('repl secrets in the dashboard (Chromium)', { timeout: 300_000, skip: browserUnavailable() }, () => {
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

  const home = () => `http://localhost:${t.port}/`;

  /** A fresh account with one stopped repl, its dashboard open; every change sent to /secrets recorded. */
  async function ownerWithRepl(name: string, colorScheme: 'light' | 'dark' = 'light', viewport = { width: 1280, height: 860 }) {
    const token = await t.newToken();
    const created = await t.api(token, 'POST', '/api/repls', { stack: 'node', name });
    assert.equal(created.status, 201, created.body);
    const repl = created.json<{ id: string }>();
    const context: BrowserContext = await browser.newContext({ viewport, colorScheme });
    await context.addCookies([{ name: 'codeyard_token', value: token, url: home() }]);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    const sent: Array<{ method: string; url: string; body: string | null }> = [];
    page.on('request', (req) => {
      if (req.url().includes('/secrets') && req.method() !== 'GET') sent.push({ method: req.method(), url: new URL(req.url()).pathname, body: req.postData() });
    });
    await page.goto(home());
    await page.locator(`repl-card[data-id="${repl.id}"]`).waitFor();
    const list = async () => {
      const res = await t.api(token, 'GET', `/api/repls/${repl.id}/secrets`);
      assert.equal(res.status, 200, res.body);
      return { list: res.json<SecretList>(), raw: res.body };
    };
    return { token, repl, context, page, problems, sent, list };
  }

  const dialogOf = (page: Page, name: string): Locator => page.getByRole('dialog', { name: `Secrets of ${name}` });
  const row = (dialog: Locator, name: string): Locator => dialog.locator(`li[data-name="${name}"]`);

  /** All of the page: its HTML through every shadow root, and every field's current value. */
  const everything = (page: Page) =>
    page.evaluate<string>(`(() => {
      const parts = [document.documentElement.outerHTML];
      const walk = (root) => {
        for (const el of root.querySelectorAll('*')) {
          if (typeof el.value === 'string') parts.push(el.value);
          if (el.shadowRoot) { parts.push(el.shadowRoot.innerHTML); walk(el.shadowRoot); }
        }
      };
      walk(document);
      return parts.join('\\n');
    })()`);

  /** The element that has the focus, through shadow roots. */
  const focused = (page: Page) =>
    page.evaluate<{ label: string; name?: string } | undefined>(`(() => {
      let el = document.activeElement;
      while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
      return el ? { label: el.getAttribute('aria-label') ?? el.textContent.trim(), name: el.getAttribute('name') ?? undefined } : undefined;
    })()`);

  it('adds API_KEY, lists it without its value anywhere in the page, replaces it, removes it after asking', async () => {
    const { repl, context, page, problems, sent, list } = await ownerWithRepl('keeper');
    const first = 'sk-first-4f9c2a7e';
    const second = 'sk-second-b81d03c6';

    await page.getByRole('button', { name: 'Secrets of keeper' }).click();
    const dialog = dialogOf(page, 'keeper');
    await dialog.waitFor();
    await dialog.getByText('No secrets yet.').waitFor();
    assert.match(await dialog.innerText(), new RegExp(REACH.replace(/[.?]/g, '\\$&')));

    const name = dialog.getByRole('textbox', { name: 'Name' });
    const value = dialog.getByLabel('Value', { exact: true });
    await name.fill('API_KEY');
    await value.fill(first);
    assert.equal(await value.getAttribute('type'), 'password', 'the value is typed unseen');
    await dialog.getByRole('checkbox', { name: 'Show' }).check();
    assert.equal(await value.getAttribute('type'), 'text', 'Show shows it');
    await dialog.getByRole('checkbox', { name: 'Show' }).uncheck();
    assert.equal(await value.getAttribute('type'), 'password');
    await dialog.getByRole('button', { name: 'Add secret' }).click();

    await row(dialog, 'API_KEY').waitFor();
    await dialog.getByText('API_KEY added.').waitFor();
    assert.match(await row(dialog, 'API_KEY').innerText(), /API_KEY\s+updated just now/);
    assert.deepEqual(sent, [{ method: 'PUT', url: `/api/repls/${repl.id}/secrets/API_KEY`, body: JSON.stringify({ value: first }) }]);
    const saved = await list();
    assert.deepEqual(saved.list.secrets.map((s) => s.name), ['API_KEY']);
    assert.ok(!saved.raw.includes(first), 'the API does not send the value back');
    const shown = await everything(page);
    assert.match(shown, /API_KEY[\s\S]*updated/, 'the search reaches into the dialog');
    assert.ok(!shown.includes(first), 'the value is nowhere in the page once saved (nor in the field)');
    assert.equal(await dialog.getByText(NOT_APPLIED).count(), 0, 'a stopped repl has nothing to apply');

    // The list moves a card when its order changes (sorted by status, the repl started): the
    // dialog stays modal, not left open inside the card.
    const card = `${DEEP}(document, 'repl-card[data-id="${repl.id}"]')`;
    const modal = `${card}.shadowRoot.querySelector('repl-secrets').shadowRoot.querySelector('dialog').matches(':modal')`;
    assert.equal(await page.evaluate<boolean>(modal), true);
    await page.evaluate(`(() => { const li = ${card}.parentElement; li.parentElement.append(li); })()`);
    assert.equal(await page.evaluate<boolean>(modal), true, 'still modal after a move');

    // Replace: the row's button puts its name in the form; the submit button says what it does.
    await row(dialog, 'API_KEY').getByRole('button', { name: 'Replace the value of API_KEY' }).click();
    assert.equal(await name.inputValue(), 'API_KEY');
    assert.equal((await focused(page))?.name, 'value', 'the cursor waits in the value');
    await page.keyboard.type(second);
    await dialog.getByRole('button', { name: 'Replace API_KEY' }).click();
    await dialog.getByText('API_KEY replaced.').waitFor();
    assert.equal(sent.length, 2);
    assert.deepEqual(sent[1], { method: 'PUT', url: `/api/repls/${repl.id}/secrets/API_KEY`, body: JSON.stringify({ value: second }) });
    assert.deepEqual((await list()).list.secrets.map((s) => s.name), ['API_KEY'], 'replaced, not added twice');
    const page1 = await everything(page);
    assert.ok(!page1.includes(first) && !page1.includes(second), 'neither value is in the page');

    await page.screenshot({ path: path.join(SHOTS, 'dialog.png') });

    // Remove asks first: Cancel keeps it (and the focus goes back to its Remove).
    await row(dialog, 'API_KEY').getByRole('button', { name: 'Remove API_KEY' }).click();
    const ask = page.getByRole('dialog', { name: 'Remove API_KEY?' });
    await ask.waitFor();
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'hidden' });
    assert.equal((await focused(page))?.label, 'Remove API_KEY');
    assert.equal(sent.length, 2, 'Cancel sent nothing');
    assert.deepEqual((await list()).list.secrets.map((s) => s.name), ['API_KEY']);

    await row(dialog, 'API_KEY').getByRole('button', { name: 'Remove API_KEY' }).click();
    await ask.getByRole('button', { name: 'Remove secret' }).click();
    await row(dialog, 'API_KEY').waitFor({ state: 'detached' });
    await dialog.getByText('API_KEY removed.').waitFor();
    await dialog.getByText('No secrets yet.').waitFor();
    assert.deepEqual(sent[2], { method: 'DELETE', url: `/api/repls/${repl.id}/secrets/API_KEY`, body: null });
    assert.deepEqual((await list()).list.secrets, []);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('explains a bad name with the shared rules and sends nothing', async () => {
    const { context, page, problems, sent, list } = await ownerWithRepl('careful');
    await page.getByRole('button', { name: 'Secrets of careful' }).click();
    const dialog = dialogOf(page, 'careful');
    await dialog.getByText('No secrets yet.').waitFor();
    const name = dialog.getByRole('textbox', { name: 'Name' });
    const error = dialog.locator('#secret-error');
    for (const bad of ['1API-KEY', 'PATH', 'CODEYARD_TOKEN']) {
      await name.fill(bad);
      await dialog.getByLabel('Value', { exact: true }).fill('whatever');
      await dialog.getByRole('button', { name: 'Add secret' }).click();
      await error.filter({ hasText: /\S/ }).waitFor();
      assert.equal((await error.innerText()).trim(), secretNameProblem(bad), bad);
      assert.equal(await name.getAttribute('aria-invalid'), 'true');
      assert.equal((await focused(page))?.name, 'name', 'the cursor goes back to the name');
    }
    assert.deepEqual(sent, [], 'nothing sent for a bad name');
    assert.deepEqual((await list()).list.secrets, []);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("shows the API's own refusal as it is (the set is full: 256 KiB together)", async () => {
    const { token, repl, context, page, problems, list } = await ownerWithRepl('full');
    // Eight values of 32 KiB fill the 256 KiB a repl's secrets may have together.
    for (let i = 0; i < SECRETS_TOTAL_MAX_BYTES / SECRET_VALUE_MAX_BYTES; i++) {
      const res = await t.api(token, 'PUT', `/api/repls/${repl.id}/secrets/BIG_${i}`, { value: 'x'.repeat(SECRET_VALUE_MAX_BYTES) });
      assert.equal(res.status, 201, res.body);
    }
    await page.getByRole('button', { name: 'Secrets of full' }).click();
    const dialog = dialogOf(page, 'full');
    await row(dialog, 'BIG_7').waitFor();
    await dialog.getByRole('textbox', { name: 'Name' }).fill('ONE_MORE');
    await dialog.getByLabel('Value', { exact: true }).fill('y');
    await dialog.getByRole('button', { name: 'Add secret' }).click();
    const error = dialog.locator('#secret-error');
    await error.filter({ hasText: /\S/ }).waitFor();
    const refusal = await t.api(token, 'PUT', `/api/repls/${repl.id}/secrets/ONE_MORE`, { value: 'y' });
    assert.ok(refusal.status >= 400 && refusal.status < 500, refusal.body);
    assert.equal((await error.innerText()).trim(), refusal.json().error.message);
    assert.equal((await list()).list.secrets.length, 8);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('works with the keyboard alone; no serious axe-core violation with the dialog open, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { context, page, problems } = await ownerWithRepl(`keys-${colorScheme}`, colorScheme);
      let reached = false;
      for (let i = 0; i < 40 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = (await focused(page))?.label === `Secrets of keys-${colorScheme}`;
      }
      assert.ok(reached, 'Tab reaches the Secrets button');
      await page.keyboard.press('Enter');
      const dialog = dialogOf(page, `keys-${colorScheme}`);
      await dialog.getByText('No secrets yet.').waitFor();
      assert.equal((await focused(page))?.name, 'name', 'the dialog opens in the Name field');
      await page.keyboard.type('DB_URL');
      await page.keyboard.press('Tab');
      await page.keyboard.type('postgres://u:p@db/app');
      await page.keyboard.press('Enter');
      await row(dialog, 'DB_URL').waitFor();
      assert.deepEqual(await seriousViolations(page), [], `axe-core, ${colorScheme}`);
      if (colorScheme === 'dark') await page.screenshot({ path: path.join(SHOTS, 'dialog-dark.png') });
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      assert.equal((await focused(page))?.label, `Secrets of keys-${colorScheme}`, 'the focus goes back to the button');
      assert.deepEqual(problems, []);
      await context.close();
    }
  });

  it('fits a 390 px wide screen', async () => {
    const { context, page, problems } = await ownerWithRepl('narrow', 'light', { width: 390, height: 844 });
    await page.getByRole('button', { name: 'Secrets of narrow' }).click();
    const dialog = dialogOf(page, 'narrow');
    await dialog.getByText('No secrets yet.').waitFor();
    for (const control of [dialog.getByRole('textbox', { name: 'Name' }), dialog.getByRole('checkbox', { name: 'Show' }), dialog.getByRole('button', { name: 'Add secret' })]) {
      const box = await control.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `on screen: ${JSON.stringify(box)}`);
    }
    await page.screenshot({ path: path.join(SHOTS, 'dialog-390px.png') });
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('says when the running repl has not got the latest change (applied: false, the answer rewritten in the browser)', async () => {
    const { repl, context, page, problems } = await ownerWithRepl('behind');
    // A push failing for real is the API's test; here only what the dialog says about it.
    await page.route(`**/api/repls/${repl.id}/secrets`, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), applied: false } });
    });
    await page.getByRole('button', { name: 'Secrets of behind' }).click();
    const dialog = dialogOf(page, 'behind');
    await dialog.getByText(NOT_APPLIED).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'dialog-not-applied.png') });
    assert.deepEqual(problems, []);
    await context.close();
  });
});
