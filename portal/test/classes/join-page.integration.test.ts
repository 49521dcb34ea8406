import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ClassDetail } from '@codeyard/common/api/classes';
import { Accounts } from '../../src/accounts/accounts.js';
import { newId } from '../../src/accounts/secret-tokens.js';
import { ApiTokens } from '../../src/tokens/api-tokens.js';
import { browserUnavailable, launchChromium, vscodeIn } from '../helpers/browser.js';
import { startTestPortal, type TestPortal } from '../helpers/test-portal.js';

/**
 * The real thing (sandbox, code-server, the agent, the Codeyard extension, Chromium): a student
 * without an account opens their join link while sign-up is by invitation, makes an account on
 * the join page, lands in VS Code in their own copy; the teacher opens that IDE through the
 * class, and the student's status bar says so.
 */
describe('joining a class in the browser, and the teacher-visit notice', { skip: browserUnavailable(), timeout: 240_000 }, () => {
  let t: TestPortal;
  let browser: Browser;
  let teacherToken: string;
  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'invite' } });
    const database = t.portal.database;
    const teacher = await database.accounts.insertUser({ id: newId('u'), createdAt: new Date().toISOString(), email: 'rivera@school.test', emailVerified: true, name: 'Ms Rivera', role: 'teacher' });
    assert.ok(teacher !== 'email-taken');
    teacherToken = (await new ApiTokens({ repository: database.apiTokens, accounts: new Accounts(database.accounts) }).issue(teacher.id, 'test', ['read', 'write'], Date.now() + 3600_000)).token;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs a student up through the link, opens their repl in VS Code, and shows them the teacher opening it', async () => {
    const created = await t.api(teacherToken, 'POST', '/api/classes', { name: 'Intro', starter: { stack: 'node' }, roster: [{ name: 'Ada', email: 'ada@school.test' }] });
    assert.equal(created.status, 201, created.body);
    const klass = created.json<ClassDetail>();
    const [row] = klass.students;
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(row!.link!.replace(/^http:\/\/[^/]+/, `http://localhost:${t.port}`));
    await page.getByRole('heading', { name: 'Join Intro' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByLabel('Email').inputValue(), 'ada@school.test');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Make my account and join' }).click();
    await page.waitForURL(new RegExp(`^http://${row!.replId}\\.localhost`), { timeout: 60_000 });
    await vscodeIn(page).locator('.statusbar-item', { hasText: 'Run' }).first().waitFor({ timeout: 90_000 });
    const owner = (await t.portal.database.repls.get(row!.replId))!.owner;
    assert.equal((await t.portal.database.accounts.byId(owner))?.email, 'ada@school.test', 'the repl is the new account\'s');

    const opened = await t.api(teacherToken, 'POST', `/api/classes/${klass.id}/students/${row!.id}/open`);
    assert.equal(opened.status, 200, opened.body);
    // The extension polls the agent every 3 s.
    await vscodeIn(page).locator('.statusbar-item', { hasText: 'Ms Rivera is viewing this repl' }).waitFor({ timeout: 20_000 });
  });
  it("opens a repl nobody has joined yet for the teacher: the visit wakes it though no account owns it", async () => {
    const created = await t.api(teacherToken, 'POST', '/api/classes', { name: 'Prep', starter: { stack: 'node' }, roster: [{ name: 'Bo' }] });
    assert.equal(created.status, 201, created.body);
    const klass = created.json<ClassDetail>();
    const [row] = klass.students;
    assert.equal(t.runtime.status(row!.replId).state, 'stopped');
    const opened = await t.api(teacherToken, 'POST', `/api/classes/${klass.id}/students/${row!.id}/open`);
    assert.equal(opened.status, 200, opened.body);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(opened.json<{ url: string }>().url.replace(/^http:\/\/([^/:]+)(:\d+)?/, `http://$1:${t.port}`));
    await vscodeIn(page).locator('.statusbar-item', { hasText: 'Run' }).first().waitFor({ timeout: 90_000 });
    assert.equal(t.runtime.status(row!.replId).state, 'running');
    assert.equal((await t.portal.database.repls.get(row!.replId))?.owner, `class:${klass.id}`, 'still the class\'s until a student joins');
  });
});
