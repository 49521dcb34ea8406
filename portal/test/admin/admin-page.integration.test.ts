import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { AdminUser, AuditPage } from '@codeyard/common/api/admin';
import { seriousViolations } from '../helpers/axe.js';
import { browserUnavailable, launchChromium } from '../helpers/browser.js';
import { type Reply, request } from '../helpers/http.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from '../helpers/test-portal.js';

const SHOTS = path.join(REPO_ROOT, 'test-results', 'admin');
const password = 'correct horse battery';

/** The session cookie a sign-up or sign-in set. */
function sessionOf(reply: Reply): string {
  const cookie = [reply.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('codeyard_token='));
  assert.ok(cookie, reply.body);
  return cookie.split(';')[0]!.slice('codeyard_token='.length);
}

/**
 * The admin page end to end, in real Chromium against the real portal (process runtime: the
 * member's repl runs real code-server and agent in its bubblewrap sandbox), with accounts signed
 * up by password: the admin page lists the member's running repl with its owner and stops it;
 * the audit log shows who stopped it; the page is keyboard reachable; an account's limits are
 * set and reset; a member sees no admin page.
 */
describe("the admin page stops a member's repl", { timeout: 300_000, skip: browserUnavailable() }, () => {
  let t: TestPortal;
  let browser: Browser;
  let origin: string;
  let admin: string;
  let member: string;
  const problems: string[] = [];

  /** An API call as a browser on the portal's own page makes it (its cookie, its Origin). */
  const call = (cookie: string, method: string, apiPath: string, body?: unknown) =>
    request(t.port, {
      method,
      path: apiPath,
      headers: { cookie: `codeyard_token=${cookie}`, origin, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const signUp = async (email: string, name: string): Promise<string> => {
    const res = await request(t.port, { method: 'POST', path: '/api/auth/signup', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ email, password, name }) });
    assert.equal(res.status, 201, res.body);
    return sessionOf(res);
  };
  const pageFor = async (cookie: string): Promise<Page> => {
    const context = await browser.newContext();
    await context.addCookies([{ name: 'codeyard_token', value: cookie, url: origin }]);
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Uncaught/i.test(msg.text())) problems.push(msg.text());
    });
    return page;
  };

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'open' } });
    origin = `http://localhost:${t.port}`;
    // The first account of a server is its admin; the second a member.
    admin = await signUp('ada@example.com', 'Ada');
    member = await signUp('mo@example.com', 'Mo');
    browser = await launchChromium();
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists the running repl with its owner, memory and CPU, stops it after asking, and records who did (and exports it)', async () => {
    const repl = (await call(member, 'POST', '/api/repls', { stack: 'node', name: 'homework' })).json<{ id: string }>();
    const started = await call(member, 'POST', `/api/repls/${repl.id}/start`);
    assert.equal(started.status, 200, started.body);

    const page = await pageFor(admin);
    await page.goto(`${origin}/admin`);
    const row = page.locator(`admin-server tr[data-id="${repl.id}"]`);
    await row.waitFor({ timeout: 30_000 });
    assert.equal(await row.locator('.owner').innerText(), 'mo@example.com');
    assert.equal(await row.locator('.status').innerText(), 'running');
    await row.locator('.memory').filter({ hasText: /\d+ MB/ }).waitFor({ timeout: 30_000 });
    // CPU needs two readings a few seconds apart.
    await row.locator('.cpu').filter({ hasText: /\d/ }).waitFor({ timeout: 30_000 });
    assert.equal(await row.getByRole('link', { name: `Open IDE of homework (mo@example.com)` }).getAttribute('href'), `/open/${repl.id}`);
    await page.screenshot({ path: path.join(SHOTS, 'server.png'), fullPage: true });
    assert.deepEqual(await seriousViolations(page), [], 'axe-core on the admin page');

    await page.getByRole('button', { name: 'Stop homework (mo@example.com)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Stop this repl?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Stop' }).click();
    await page.locator('admin-server .notice').filter({ hasText: 'Stopped homework of mo@example.com' }).waitFor({ timeout: 60_000 });
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal(t.runtime.status(repl.id).state, 'stopped');
    const owner = (await call(member, 'GET', `/api/repls/${repl.id}`)).json<{ status: string }>();
    assert.equal(owner.status, 'stopped', 'the member sees it stopped');

    // The audit log, by keyboard: the tabs are one tab stop, arrows move between them.
    await page.getByRole('tab', { name: 'Server' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: 'Audit log' }).getAttribute('aria-selected'), 'true');
    const stop = page.locator('admin-audit tr[data-kind="admin.repl-stop"]').first();
    await stop.waitFor();
    assert.equal(await stop.locator('.actor .who').innerText(), 'ada@example.com');
    assert.match(await stop.locator('.target').innerText(), new RegExp(repl.id));
    await page.screenshot({ path: path.join(SHOTS, 'audit.png'), fullPage: true });
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await (await download).path();
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\r\n');
    assert.match(lines[0]!, /^id,at,kind,account,account_email,/);
    assert.ok(lines.some((line) => line.includes(',admin.repl-stop,') && line.includes(repl.id)), 'the stop is in the export');
    const events = (await call(admin, 'GET', '/api/admin/audit?kind=admin.repl-stop')).json<AuditPage>().events;
    assert.deepEqual([events[0]?.targetId, events[0]?.accountEmail, events[0]?.credential], [repl.id, 'ada@example.com', 'session']);
  });

  it('shows the users with their repls, changes a role from the keyboard, and sets a password', async () => {
    const page = await pageFor(admin);
    // From the dashboard: an admin's header has the way in.
    await page.goto(`${origin}/`);
    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    await page.waitForURL(`${origin}/admin`);
    await page.getByRole('tab', { name: 'Users' }).click();
    const mo = page.locator('admin-users tr').filter({ hasText: 'mo@example.com' });
    await mo.waitFor();
    assert.match(await mo.locator('td.num').innerText(), /^1/);
    const role = page.getByRole('combobox', { name: 'Role of mo@example.com' });
    await role.focus();
    await role.selectOption('teacher');
    await page.locator('admin-users .notice').filter({ hasText: 'mo@example.com is now a teacher' }).waitFor();
    assert.equal((await call(member, 'GET', '/api/me')).json<{ role: string }>().role, 'teacher');
    // The last admin stays: the page says why, and shows the role as it is.
    await page.getByRole('combobox', { name: 'Role of ada@example.com' }).selectOption('member');
    await page.locator('admin-users .error').filter({ hasText: 'only admin who can sign in' }).waitFor();
    assert.equal(await page.getByRole('combobox', { name: 'Role of ada@example.com' }).inputValue(), 'admin');

    // Mo's own repl limit, typed from the keyboard (Enter submits), then back to the default.
    const moId = (await call(member, 'GET', '/api/me')).json<{ id: string }>().id;
    const limitOf = async () => (await call(admin, 'GET', `/api/admin/users/${moId}`)).json<AdminUser>().limits.repls;
    const replLimit = page.getByRole('spinbutton', { name: 'Repl limit of mo@example.com' });
    await replLimit.fill('2');
    await replLimit.press('Enter');
    await page.locator('admin-users .notice').filter({ hasText: 'mo@example.com may have 2 repls' }).waitFor();
    assert.deepEqual(await limitOf(), { value: 2, override: 2 });
    await page.screenshot({ path: path.join(SHOTS, 'users.png'), fullPage: true });
    assert.deepEqual(await seriousViolations(page), [], 'axe-core on the admin page (with an account of its own limits)');
    await page.getByRole('button', { name: 'Default limits of mo@example.com' }).click();
    await page.locator('admin-users .notice').filter({ hasText: 'mo@example.com has the default limits again' }).waitFor();
    assert.equal((await limitOf()).override, null);
    assert.equal(await replLimit.inputValue(), String((await limitOf()).value), 'the field shows the default again');

    // A new password for Mo, typed in the dialog: Mo's browsers are signed out, the new one works.
    await page.getByRole('button', { name: 'Set password of mo@example.com' }).click();
    const dialog = page.getByRole('dialog', { name: 'Set the password of mo@example.com' });
    await dialog.getByLabel('New password').fill('short');
    await dialog.getByLabel('New password').press('Enter');
    assert.equal(await dialog.isVisible(), true, 'the browser keeps a too-short password (minlength) in the dialog');
    await dialog.getByLabel('New password').fill('a brand new passphrase');
    await dialog.getByRole('button', { name: 'Set password' }).click();
    await page.locator('admin-users .notice').filter({ hasText: 'mo@example.com has a new password' }).waitFor();
    assert.equal((await call(member, 'GET', '/api/repls')).status, 401, "Mo's old session is over");
    const signIn = await request(t.port, { method: 'POST', path: '/api/auth/signin', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ email: 'mo@example.com', password: 'a brand new passphrase' }) });
    assert.equal(signIn.status, 200, signIn.body);
    member = sessionOf(signIn);
  });

  it('shows anyone else no admin page, only why', async () => {
    const page = await pageFor(member);
    const me = page.waitForResponse(`${origin}/api/me`);
    await page.goto(`${origin}/`);
    assert.equal((await (await me).json()).role, 'teacher', 'made a teacher by the test before');
    await page.getByRole('heading', { name: 'Create a repl' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Admin', exact: true }).count(), 0, 'no admin link for anyone else');
    await page.goto(`${origin}/admin`);
    await page.locator('admin-view .error').filter({ hasText: 'for the admins of this server' }).waitFor();
    assert.equal(await page.getByRole('tab').count(), 0);
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  });
});
