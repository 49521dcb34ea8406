import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { adminLink } from '../src/api/admin-auth.js';
import { browserUnavailable, launchChromium } from './helpers/browser.js';
import { REPO_ROOT, startTestPortal, type TestPortal } from './helpers/test-portal.js';

const SHOTS = path.join(REPO_ROOT, 'test-results', 'admission');

/**
 * What a full server looks like in real Chromium against the real portal (sandboxes, cgroups):
 * the dashboard card of a repl that waits shows its place and goes running by itself when room
 * appears; running cards show memory and CPU; the admin page (reached by the printed link, token
 * in the fragment) shows capacity, the line and every running repl with its figures.
 */
describe('a full server in the browser (dashboard and admin view)', { timeout: 300_000, skip: browserUnavailable() }, () => {
  let t: TestPortal;
  let browser: Browser;

  before(async () => {
    // 1000 MiB and starts counted at 400 MiB: two repls fit.
    t = await startTestPortal({ env: { CODEYARD_CAPACITY_MEMORY_MB: '1000', CODEYARD_REPL_MEMORY_ESTIMATE_MB: '400' } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the place in line, then the repl running; memory and CPU on the cards and in the admin view', async () => {
    const token = await t.newToken();
    const ids: string[] = [];
    for (const name of ['one', 'two', 'three']) ids.push((await t.api(token, 'POST', '/api/repls', { stack: 'node', name })).json<{ id: string }>().id);
    for (const id of ids.slice(0, 2)) assert.equal((await t.api(token, 'POST', `/api/repls/${id}/start`)).status, 200);

    const origin = `http://localhost:${t.port}`;
    const context = await browser.newContext();
    await context.addCookies([{ name: 'codeyard_token', value: token, url: origin }]);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Uncaught/i.test(msg.text())) problems.push(msg.text());
    });
    await page.goto(`${origin}/`);
    const third = page.locator(`repl-card[data-id="${ids[2]}"]`);
    await third.waitFor();
    await page.getByRole('button', { name: 'Start repl three' }).click();
    await third.locator('.queue').filter({ hasText: 'This server is full: this repl is #1 in line (of 1)' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByRole('button', { name: 'Leave the line for three' }).count(), 1);
    fs.mkdirSync(SHOTS, { recursive: true });

    // Running cards show what they use (from GET /api/usage every few seconds).
    const first = page.locator(`repl-card[data-id="${ids[0]}"]`);
    await first.locator('.usage .memory').filter({ hasText: /\d+ MB/ }).waitFor({ timeout: 30_000 });
    await first.locator('.usage .cpu').filter({ hasText: /CPU \d/ }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-full.png'), fullPage: true });

    // The admin view, by the link the terminal prints.
    const adminToken = fs.readFileSync(path.join(t.dataDir, 'admin-token'), 'utf8').trim();
    const admin = await context.newPage();
    admin.on('pageerror', (err) => problems.push(err.message));
    await admin.goto(adminLink(origin, adminToken));
    const row = admin.locator(`admin-view tr[data-id="${ids[0]}"]`);
    await row.waitFor();
    assert.match(await row.locator('.memory').innerText(), /\d+ MB/);
    await admin.locator('admin-view').getByText(ids[2]!).waitFor();
    assert.equal(new URL(admin.url()).hash, '', 'the token left the address bar');
    assert.match(await admin.locator('admin-view .capacity').innerText(), /1\.0 GB/);
    await admin.screenshot({ path: path.join(SHOTS, 'admin.png'), fullPage: true });
    // A new tab without the link gets no figures, only what to do.
    const stranger = await (await browser.newContext()).newPage();
    await stranger.goto(`${origin}/admin`);
    await stranger.locator('admin-view .error').filter({ hasText: 'admin link' }).waitFor();

    // Room appears: the waiting card goes running by itself (live events, no reload).
    assert.equal((await t.api(token, 'POST', `/api/repls/${ids[0]}/stop`)).status, 200);
    await third.locator('.status.running').waitFor({ timeout: 120_000 });
    assert.equal(await third.locator('.queue').count(), 0);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
