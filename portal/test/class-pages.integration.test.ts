import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ClassDetail } from '@codeyard/common/api/classes';
import { startAuthPortal, type AuthPortal } from './helpers/auth-portal.js';
import { browserUnavailable, launchChromium } from './helpers/browser.js';
import { markPage, ROSTER_CSV, signIn } from './helpers/classroom.js';
import { REPO_ROOT } from './helpers/test-portal.js';
import { seriousViolations } from './helpers/axe.js';

const SHOTS = path.join(REPO_ROOT, 'test-results', 'class-pages');
const PASSWORD = 'a long enough password';

/**
 * The class pages in real Chromium against the real portal and database, with the MemoryRuntime
 * double for repls (nothing here needs a sandbox): making a class from a pasted roster, the
 * links shown once and gone on reload, per-student limits set in the form and shown on the
 * dashboard (and refused in the server's words), the dashboard following a join live, keyboard
 * use, a new link and a revoked one, and who may not see a class.
 */
describe('class pages in a real browser', { timeout: 180_000, skip: browserUnavailable() }, () => {
  let t: AuthPortal;
  let browser: Browser;
  let teacher: { context: BrowserContext; page: Page };
  let classId: string;
  let adaLink: string;
  const problems: string[] = [];

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    // A repl's memory limit of 1024 MB: the most a class may give each student (the form reads it from GET /api/runtime).
    t = await startAuthPortal({ CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'invite', CODEYARD_LIMIT_MEMORY_MB: '1024' });
    await t.codeyard.portal.auth.accounts.createUser({ email: 'tess@example.org', emailVerified: true, name: 'Tess', role: 'teacher', password: PASSWORD });
    await t.codeyard.portal.auth.accounts.createUser({ email: 'max@example.org', emailVerified: true, name: 'Max', role: 'member', password: PASSWORD });
    await t.codeyard.portal.auth.accounts.createUser({ email: 'ada@example.org', emailVerified: true, name: 'Ada', role: 'member', password: PASSWORD });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1200, height: 860 } });
    teacher = { context, page: await context.newPage() };
    teacher.page.on('pageerror', (err) => problems.push(err.message));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    fs.rmSync(t?.dataDir ?? '/nonexistent', { recursive: true, force: true });
  });

  it('makes a class from a pasted list of names and shows the links once', async () => {
    const { page } = teacher;
    await signIn(page, t.origin, 'tess@example.org', PASSWORD);
    await page.goto(`${t.origin}/classes`);
    await page.getByRole('button', { name: 'New class' }).click();
    await page.getByLabel('Class name').fill('Pasted class');
    await page.getByRole('button', { name: 'Create class' }).click();
    await page.getByText('the roster is empty').waitFor();
    // A plain list of names (no header row) works: the page adds the header.
    await page.getByLabel(/Paste it/).fill('Ada Lovelace, ada@example.org\nAlan Turing\n');
    await page.getByRole('button', { name: 'Create class' }).click();
    await page.getByLabel('Join link of Alan Turing', { exact: true }).waitFor();
    adaLink = await page.getByLabel('Join link of Ada Lovelace', { exact: true }).inputValue();
    assert.equal(await page.locator('class-links tbody tr').count(), 2);
    await page.screenshot({ path: path.join(SHOTS, 'links.png'), fullPage: true });
    assert.deepEqual(await seriousViolations(page), [], 'the links page');
    await page.getByRole('link', { name: 'Open the class' }).click();
    await page.locator('class-roster tr[data-student]').nth(1).waitFor();
    classId = new URL(page.url()).pathname.split('/').pop()!;
    assert.equal(await page.locator('input.link').count(), 0, 'the links are not shown again');
    assert.deepEqual((await t.codeyard.portal.database.classes.get(classId))?.limits, {}, "limits left empty: the server's defaults");
    assert.equal(await page.locator('class-dashboard .limit').count(), 0, 'and none shown');
  });

  it('says what is wrong with a bad roster file, and makes nothing', async () => {
    const { page } = teacher;
    await page.goto(`${t.origin}/classes`);
    await page.getByRole('button', { name: 'New class' }).click();
    await page.getByLabel('Class name').fill('Broken');
    await page.getByLabel(/upload a CSV file/).setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(`${ROSTER_CSV}Ada Lovelace,ada@example.org,S-001\n`) });
    await page.getByRole('button', { name: 'Create class' }).click();
    await page.locator('class-create p.error').filter({ hasText: /\S/ }).waitFor();
    const message = (await page.locator('class-create p.error').textContent()) ?? '';
    assert.match(message, /line|duplicate|ada@example\.org/i, message);
    await page.reload();
    assert.equal(await page.locator('class-list tbody tr', { hasText: 'Broken' }).count(), 0);
  });

  it("sets per-student limits: 512 MB and always on shown on the dashboard; always on that does not fit is refused in the server's words, nothing made", async () => {
    const { page } = teacher;
    await page.goto(`${t.origin}/classes`);
    await page.getByRole('button', { name: 'New class' }).click();
    // The form names the server's own limit and holds the field to it.
    await page.locator('class-create label', { hasText: "256 to 1024, this server's limit" }).waitFor();
    const memory = page.getByLabel(/Memory per student/);
    assert.equal(await memory.getAttribute('max'), '1024');
    await page.getByLabel('Class name').fill('Limited class');
    await page.getByLabel(/Paste it/).fill('Cy Young\nDee Dee\n');
    await memory.fill('512');
    await page.screenshot({ path: path.join(SHOTS, 'limits-form.png'), fullPage: true });
    assert.deepEqual(await seriousViolations(page), [], 'the new-class form');
    await page.getByRole('button', { name: 'Create class' }).click();
    await page.getByRole('link', { name: 'Open the class' }).click();
    await page.locator('class-dashboard .limit', { hasText: '512 MB per student' }).waitFor();
    assert.equal(await page.locator('class-dashboard .limit', { hasText: 'always on' }).count(), 0);
    await page.screenshot({ path: path.join(SHOTS, 'limits-dashboard.png') });
    const limited = new URL(page.url()).pathname.split('/').pop()!;
    // What the API says of the class, asked with the teacher's own browser session.
    const answer = await page.context().request.get(`${t.origin}/api/classes/${limited}`);
    assert.equal(answer.status(), 200);
    assert.deepEqual(((await answer.json()) as ClassDetail).limits, { memoryMb: 512 });

    // Two always-on repls on the teacher's allowance of 1 (CODEYARD_ALWAYS_ON_PER_ACCOUNT's default): 409.
    await page.goto(`${t.origin}/classes`);
    await page.getByRole('button', { name: 'New class' }).click();
    await page.getByLabel('Class name').fill('Always-on class');
    await page.getByLabel(/Paste it/).fill('Eve\nFay\n');
    await page.getByLabel('Always on', { exact: true }).check();
    await page.getByRole('button', { name: 'Create class' }).click();
    const error = page.locator('class-create p.error').filter({ hasText: /\S/ });
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /limits\.alwaysOn: 2 repls more always on would come from your always-on allowance, which is 1/);
    assert.equal(await page.getByRole('link', { name: 'Open the class' }).count(), 0);
    const tess = await t.codeyard.portal.auth.accounts.byEmail('tess@example.org');
    assert.deepEqual((await t.codeyard.portal.database.classes.listByTeacher(tess!.id)).map((c) => c.name).sort(), ['Limited class', 'Pasted class'], 'no always-on class made');
    // One student fits the allowance: the same form, corrected, makes it.
    await page.getByLabel(/Paste it/).fill('Eve\n');
    await page.getByRole('button', { name: 'Create class' }).click();
    await page.getByRole('link', { name: 'Open the class' }).click();
    await page.locator('class-dashboard .limit', { hasText: 'always on' }).waitFor();
    assert.equal(await page.locator('class-dashboard .limit').count(), 1, 'no memory limit set');
  });

  it('follows a join on the dashboard without a reload, and is usable by keyboard', async () => {
    const { page } = teacher;
    await page.goto(`${t.origin}/classes/${classId}`);
    await page.locator('.feed[data-live="true"]').waitFor({ timeout: 15_000 });
    const notReloaded = await markPage(page);
    // Ada (an account already) opens her link signed in, in a browser of her own, and joins.
    const ada = await browser.newContext();
    try {
      const ap = await ada.newPage();
      await signIn(ap, t.origin, 'ada@example.org', PASSWORD);
      await ap.goto(adaLink);
      await ap.getByRole('button', { name: 'Join and open my repl' }).click();
      await ap.waitForURL(/\.localhost/, { timeout: 15_000 });
    } finally {
      await ada.close();
    }
    await page.locator('class-roster tr[data-student]', { hasText: 'Ada Lovelace' }).locator('.name', { hasText: 'ada@example.org' }).waitFor({ timeout: 15_000 });
    assert.equal(await notReloaded(), true);

    // Keyboard: from the page's start, Tab reaches the first row's Open IDE.
    await page.keyboard.press('Home');
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      // The focused element, through the shadow roots it sits in.
      reached = await page.evaluate<boolean>(`(() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        return !!el && el.tagName === 'BUTTON' && el.classList.contains('open');
      })()`);
    }
    assert.ok(reached, 'Open IDE is reachable with Tab');
    await page.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });
    assert.deepEqual(await seriousViolations(page), [], "the class's dashboard");
  });

  it('reissues a link (shown once) and revokes one after asking', async () => {
    const { page } = teacher;
    const row = page.locator('class-roster tr[data-student]', { hasText: 'Alan Turing' });
    await row.getByRole('button', { name: 'New link for Alan Turing' }).click();
    const link = page.getByLabel('New join link of Alan Turing', { exact: true });
    await link.waitFor();
    assert.match(await link.inputValue(), /\/join\/stu_/);
    await row.getByRole('button', { name: 'Revoke link of Alan Turing' }).click();
    await page.locator('confirm-dialog').getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('link revoked').waitFor();
    const status = (await t.call('GET', `/api/join/info?link=${encodeURIComponent(await link.inputValue())}`)).status;
    assert.equal(status, 404, 'the revoked link does not work');
  });

  it("shows someone who does not teach the class nothing of it", async () => {
    const other = await browser.newContext();
    try {
      const page = await other.newPage();
      await signIn(page, t.origin, 'max@example.org', PASSWORD);
      await page.goto(`${t.origin}/classes/${classId}`);
      await page.locator('class-dashboard p.error').waitFor();
      assert.equal(await page.locator('class-roster').count(), 0);
      assert.equal(await page.getByRole('button', { name: 'New class' }).count(), 0, 'members make no classes');
    } finally {
      await other.close();
    }
  });

  it('deletes the class only once its name is typed, then lists it no more; Ada keeps her repl', async () => {
    const { page } = teacher;
    // The same dashboard open in a second tab, live.
    const otherTab = await page.context().newPage();
    await otherTab.goto(`${t.origin}/classes/${classId}`);
    await otherTab.getByRole('heading', { name: 'Students' }).waitFor();
    await page.goto(`${t.origin}/classes/${classId}`);
    const adaRepl = (await t.codeyard.portal.database.classes.students(classId)).find((s) => s.name === 'Ada Lovelace')!.replId;
    await page.getByRole('button', { name: 'Delete this class…' }).click();
    const dialog = page.locator('class-delete dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete this class' });
    await dialog.getByLabel(/Type Pasted class to confirm/).fill('Pasted');
    assert.equal(await confirm.isDisabled(), true, 'not with part of the name');
    await page.keyboard.press('Enter');
    assert.equal(await t.codeyard.portal.database.classes.get(classId).then(Boolean), true, 'Enter did nothing either');
    await dialog.getByLabel(/Type Pasted class to confirm/).fill('Pasted class');
    await page.screenshot({ path: path.join(SHOTS, 'delete.png') });
    assert.deepEqual(await seriousViolations(page), [], 'the delete dialog');
    await confirm.click();
    await page.waitForURL(`${t.origin}/classes`);
    await page.locator('class-list').waitFor();
    assert.equal(await page.locator('class-list tbody tr', { hasText: 'Pasted class' }).count(), 0);
    assert.equal(await t.codeyard.portal.database.classes.get(classId), undefined);
    const ada = await t.codeyard.portal.auth.accounts.byEmail('ada@example.org');
    assert.equal((await t.codeyard.portal.database.repls.get(adaRepl))?.owner, ada?.id, "Ada's repl stays hers");
    // The other tab was told, without a reload.
    await otherTab.getByRole('alert').filter({ hasText: 'Pasted class was deleted' }).waitFor();
    assert.equal(await otherTab.getByRole('link', { name: 'Back to your classes' }).count(), 1);
    await otherTab.close();
    assert.deepEqual(problems, []);
  });
});
