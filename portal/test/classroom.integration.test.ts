import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { browserUnavailable, launchChromium, vscodeIn } from './helpers/browser.js';
import { GRADE_COMMAND, markPage, nextTab, ROSTER_CSV, shooter, signIn, SOLVED, zipFolders } from './helpers/classroom.js';
import { eventually } from './helpers/http.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';

const shot = shooter(path.join(REPO_ROOT, 'test-results', 'e2e-classroom'));
const PASSWORD = 'a long enough password';

/**
 * Issue #15's "Done means", end to end in real Chromium against the real portal (real
 * code-server, sandbox, store and database): a teacher makes a class of 3 from a CSV file; a
 * student opens their join link, signs up there, lands in VS Code, edits, presses the
 * extension's Submit; the teacher's dashboard shows it without a reload; autograde gives one
 * pass and two fails; collect yields one archive with the 3 workspaces. And who may not: the
 * teacher cannot submit the student's repl, from the IDE's Submit page or the API.
 */
describe('a classroom in a real browser', { timeout: 600_000, skip: browserUnavailable() }, () => {
  let t: TestPortal;
  let browser: Browser;
  let origin: string;
  let teacher: { context: BrowserContext; page: Page };
  let classId: string;
  let adaLink: string;
  let adaRepl: string;

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'invite' } });
    origin = `http://localhost:${t.port}`;
    await t.portal.auth.accounts.createUser({ email: 'tess@example.org', emailVerified: true, name: 'Tess Teacher', role: 'teacher', password: PASSWORD });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    teacher = { context, page: await context.newPage() };
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lets a teacher make a class of 3 from a CSV file and shows the join links once', async () => {
    const { page } = teacher;
    await signIn(page, origin, 'tess@example.org', PASSWORD);
    await page.getByRole('link', { name: 'Classes' }).click();
    await page.getByRole('button', { name: 'New class' }).click();
    await page.getByLabel('Class name').fill('Intro to JavaScript');
    await page.getByLabel(/^Starter/).selectOption('stack:node');
    await page.getByLabel(/upload a CSV file/).setInputFiles({ name: 'students.csv', mimeType: 'text/csv', buffer: Buffer.from(ROSTER_CSV) });
    await eventually(async () => (await page.getByLabel(/Paste it/).inputValue()).includes('Grace Hopper'), 'the CSV read into the roster box', 5_000);
    await shot(page, 'new-class');
    await page.getByRole('button', { name: 'Create class' }).click();

    const links = page.locator('class-links table.links tbody tr');
    await links.first().waitFor({ timeout: 60_000 });
    assert.equal(await links.count(), 3);
    adaLink = await page.getByLabel('Join link of Ada Lovelace', { exact: true }).inputValue();
    assert.match(adaLink, new RegExp(`^${origin}/join/stu_[a-z2-7]{16}\\.[A-Za-z0-9_-]{43}$`));
    await page.getByRole('button', { name: 'Copy all as CSV' }).click();
    const csv = await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
    assert.equal(csv.split(/\r?\n/).filter(Boolean).length, 4, 'a header and 3 students');
    assert.ok(csv.includes(adaLink));
    await shot(page, 'links-once');
    await page.getByRole('link', { name: 'Open the class' }).click();
    await page.locator('class-roster tr[data-student]').nth(2).waitFor();
    classId = new URL(page.url()).pathname.split('/').pop()!;
    await page.locator('.feed[data-live="true"]').waitFor({ timeout: 15_000 });
    await shot(page, 'dashboard');
  });

  it('lets a student sign up through the link, edit in VS Code and Submit from the extension; the dashboard follows without a reload', async () => {
    const dashboard = teacher.page;
    const notReloaded = await markPage(dashboard);
    const ada = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const page = await ada.newPage();
      await page.goto(adaLink);
      await page.getByRole('heading', { name: 'Join Intro to JavaScript' }).waitFor();
      assert.equal(await page.getByLabel('Email').inputValue(), 'ada@example.org', 'the roster address, fixed');
      await page.getByLabel('Password').fill(PASSWORD);
      await shot(page, 'join-page');
      await page.getByRole('button', { name: 'Make my account and join' }).click();
      await vscodeIn(page).locator('.monaco-workbench').waitFor({ timeout: 120_000 });
      adaRepl = new URL(page.url()).host.split('.')[0]!;

      // The teacher sees the join and the running repl, live.
      const row = dashboard.locator('class-roster tr[data-student]', { hasText: 'Ada Lovelace' });
      await row.locator('.name', { hasText: 'ada@example.org' }).waitFor({ timeout: 30_000 });
      await row.locator('.status .badge.running').waitFor({ timeout: 60_000 });

      // Edit index.js in VS Code.
      await vscodeIn(page).locator('.tabs-container .tab', { hasText: 'index.js' }).waitFor({ timeout: 60_000 });
      await vscodeIn(page).locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type(`// ${SOLVED}`);
      await page.keyboard.press('Control+S');
      await vscodeIn(page).locator('.monaco-editor .view-lines', { hasText: SOLVED }).waitFor();
      await shot(page, 'student-edited');

      // The extension's Submit (a class repl only) opens the portal's page; one click submits.
      const submitItem = vscodeIn(page).locator('.statusbar-item', { hasText: 'Submit' });
      await submitItem.waitFor({ timeout: 60_000 });
      const tab = nextTab(ada);
      await submitItem.click();
      // VS Code may ask before opening a site it does not trust yet.
      await vscodeIn(page).locator('.monaco-dialog-box .monaco-button', { hasText: /^Open$/ }).click({ timeout: 5_000 }).catch(() => undefined);
      const confirm = await tab;
      await confirm.waitForLoadState();
      assert.equal(new URL(confirm.url()).pathname, '/classes');
      await confirm.getByRole('button', { name: 'Submit Intro to JavaScript' }).click();
      await confirm.getByText(/Submitted: version 1/).waitFor({ timeout: 60_000 });
      await confirm.locator('ol.submissions li[data-number="1"]').waitFor();
      await shot(confirm, 'student-submitted');

      await row.locator('.submitted', { hasNotText: 'not yet' }).waitFor({ timeout: 30_000 });
      assert.equal(await notReloaded(), true, 'the dashboard changed without a reload');
      await shot(dashboard, 'dashboard-submitted');
    } finally {
      await ada.close();
    }
  });

  it('does not let the teacher submit a student repl: not from the IDE Submit page, not through the API', async () => {
    const page = await teacher.context.newPage();
    try {
      await page.goto(`${origin}/classes?submit=${adaRepl}`);
      await page.getByText('This account cannot submit that repl').waitFor();
      assert.equal(await page.getByRole('button', { name: /^Submit / }).count(), 0);
      const status = await page.evaluate(async (id) => (await fetch(`/api/repls/${id}/submit`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: '{}' })).status, adaRepl);
      assert.equal(status, 404, "another account's repl does not exist for it");
      await shot(page, 'teacher-cannot-submit');
    } finally {
      await page.close();
    }
  });

  it('autogrades every repl, one pass and two fails filling in live, with a CSV', async () => {
    const page = teacher.page;
    const notReloaded = await markPage(page);
    const command = page.getByLabel("Command run in every student's repl");
    await command.fill(GRADE_COMMAND);
    await page.getByRole('button', { name: 'Autograde' }).click();
    const roster = page.locator('class-roster');
    await eventually(async () => (await roster.locator('.grade .badge.pass').count()) === 1 && (await roster.locator('.grade .badge.fail').count()) === 2, 'one pass and two fails', 300_000).catch(async (err: unknown) => {
      await shot(page, 'failed-autograde');
      throw err;
    });
    assert.equal(await roster.locator('tr[data-student]', { hasText: 'Ada Lovelace' }).locator('.grade .badge.pass').count(), 1);
    assert.equal(await notReloaded(), true);
    await page.locator('class-grade').getByText('1 pass').waitFor();
    const csv = await page.evaluate(async (href) => (await fetch(href, { credentials: 'same-origin' })).text(), (await page.locator('class-grade a.csv').getAttribute('href')) ?? '');
    assert.match(csv, /pass/);
    assert.match(csv, /fail/);
    await shot(page, 'autograded');
  });

  it('collects one archive with the 3 workspaces', async () => {
    const page = teacher.page;
    const download = page.waitForEvent('download', { timeout: 120_000 });
    await page.getByRole('link', { name: 'Collect workspaces (.zip)' }).click();
    const file = await (await download).path();
    const { folders, files } = await zipFolders(file);
    assert.equal(folders.length, 3, `three folders: ${folders.join(', ')}`);
    const ada = folders.find((f) => /^ada-lovelace-stu_/.test(f));
    assert.ok(ada, `a folder for Ada: ${folders.join(', ')}`);
    assert.ok(files.some((f) => f === `${ada}/index.js`), 'her workspace in it');
    assert.ok(classId);
  });
});
