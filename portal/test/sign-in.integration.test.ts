import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sharedDir } from '../src/runtime/process/repl-folders.js';
import { unmountVolume } from '../src/runtime/process/workspace-volume.js';
import { seriousViolations } from './helpers/axe.js';
import { browserUnavailable, launchChromium } from './helpers/browser.js';
import { eventually, freePort } from './helpers/http.js';
import { REPO_ROOT, startTestPortal } from './helpers/test-portal.js';

const MAIN = path.join(REPO_ROOT, 'portal', 'dist', 'src', 'main.js');
const SHOTS = path.join(REPO_ROOT, 'test-results', 'sign-in');

/** `npm start` as its own process, in owner mode (the default); answers it and the owner link it printed. */
async function startPortalProcess(dataDir: string, port: number): Promise<{ child: ChildProcess; ownerLink: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), CODEYARD_DATA: dataDir, CODEYARD_WARM_POOL: '0', CODEYARD_LOG_LEVEL: 'warn' };
  delete env.CODEYARD_AUTH;
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  const ownerLink = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no owner link within 60 s:\n${output}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const link = /^Sign in as the owner: (\S+)$/m.exec(output)?.[1];
      if (link) {
        clearTimeout(timer);
        resolve(link);
      }
    });
    child.on('exit', (code) => reject(new Error(`portal exited with ${code}:\n${output}`)));
  });
  child.removeAllListeners('exit');
  return { child, ownerLink };
}

/**
 * Sign-in end to end, as #14 says it is done: `npm start` (a real portal process, owner mode) on a
 * data folder an anonymous-mode portal made; the owner link it printed signs a Chromium in as
 * the owner, who finds the old repl adopted; a second browser without the link sees the sign-in
 * page and nothing else; the owner invites a member from the dashboard, who signs up and sees
 * only their own repls, signs out and in again.
 */
describe('sign-in in a real browser against `npm start`', { timeout: 300_000, skip: browserUnavailable() }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-signin-'));
  let port: number;
  let portal: ChildProcess | undefined;
  let ownerLink: string;
  let browser: Browser;
  let oldRepl: string;
  let owner: { context: BrowserContext; page: Page };
  let inviteUrl: string;
  const home = (p = '/') => `http://localhost:${port}${p}`;

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    // The data folder of a portal from before sign-in (anonymous accounts), with one repl.
    const anonymous = await startTestPortal({ dataDir });
    try {
      const token = await anonymous.newToken();
      const res = await anonymous.api(token, 'POST', '/api/repls', { stack: 'node', name: 'made before sign-in' });
      assert.equal(res.status, 201, res.body);
      oldRepl = res.json().id;
    } finally {
      await anonymous.close();
    }
    port = await freePort();
    ({ child: portal, ownerLink } = await startPortalProcess(dataDir, port));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    if (portal && portal.exitCode === null) {
      portal.kill('SIGTERM');
      await new Promise((resolve) => portal!.once('exit', resolve));
    }
    await unmountVolume(sharedDir(path.join(dataDir, 'repls'))).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    return { context, page: await context.newPage() };
  }

  it('prints an owner link that signs this browser in as the owner, with the old repl adopted', async () => {
    assert.match(ownerLink, new RegExp(`^http://localhost:${port}/auth/owner\\?code=[A-Za-z0-9_-]{32}$`));
    owner = await newPage();
    await owner.page.goto(ownerLink);
    await owner.page.locator('codeyard-app .who').filter({ hasText: 'Owner' }).waitFor();
    assert.equal(owner.page.url(), home(), 'the code is gone from the address bar');
    await owner.page.locator(`repl-card[data-id="${oldRepl}"]`).waitFor();
    assert.ok((await owner.context.cookies(home())).some((c) => c.name === 'codeyard_token' && c.value.startsWith('cys_') && c.httpOnly && c.sameSite === 'Lax'));
    await owner.page.screenshot({ path: path.join(SHOTS, 'owner-dashboard.png') });
  });

  it('shows a second browser without the link the sign-in page and nothing else', async () => {
    const stranger = await newPage();
    try {
      await stranger.page.goto(home());
      await stranger.page.getByRole('heading', { name: 'Sign in to Codeyard' }).waitFor();
      assert.equal(stranger.page.url(), home('/signin'));
      assert.equal(await stranger.page.locator('stack-picker, repl-list, repl-card').count(), 0, 'no stacks, no repls');
      await stranger.page.getByText(/The owner signs in with the link the terminal printed/).waitFor();
      assert.deepEqual(await seriousViolations(stranger.page), [], 'axe-core on the sign-in page');
      const api = await stranger.page.evaluate(async () => {
        const res = await fetch('/api/repls', { credentials: 'same-origin' });
        return { status: res.status, body: (await res.json()) as { error: { message: string } } };
      });
      assert.equal(api.status, 401);
      assert.match(api.body.error.message, /sign in at/);
      // An IDE link of the owner's repl: to the sign-in page, which would come back after signing in.
      await stranger.page.goto(home(`/open/${oldRepl}`));
      await stranger.page.getByRole('heading', { name: 'Sign in to Codeyard' }).waitFor();
      assert.equal(stranger.page.url(), home(`/signin?next=${encodeURIComponent(`/open/${oldRepl}`)}`));
      // The used owner link is no way in.
      await stranger.page.goto(ownerLink);
      await stranger.page.getByText('does not work any more').waitFor();
      await stranger.page.screenshot({ path: path.join(SHOTS, 'sign-in-page.png') });
      assert.equal((await stranger.context.cookies(home())).some((c) => c.value.startsWith('cys_')), false, 'no session was made');
    } finally {
      await stranger.context.close();
    }
  });

  it('lets the owner invite someone from the dashboard', async () => {
    await owner.page.getByRole('button', { name: 'Invite' }).click();
    const dialog = owner.page.locator('invite-panel dialog');
    await dialog.getByLabel(/Their email/).fill('sam@example.com');
    await dialog.getByRole('button', { name: 'Create invite link' }).click();
    const link = dialog.getByLabel('Invite link');
    await link.waitFor();
    inviteUrl = await link.inputValue();
    assert.match(inviteUrl, new RegExp(`^http://localhost:${port}/signup\\?invite=cyi_`));
    await owner.page.screenshot({ path: path.join(SHOTS, 'invite.png') });
    await dialog.getByRole('button', { name: 'Done' }).click();
  });

  it('signs the invited member up; they see only their own repls, sign out and in again', async () => {
    const member = await newPage();
    try {
      await member.page.goto(inviteUrl);
      const email = member.page.getByLabel('Email');
      // The page reads what the invite is for, then fills the address in.
      await eventually(async () => (await email.inputValue()) === 'sam@example.com', 'the invited address in the form', 10_000);
      assert.equal(await email.getAttribute('readonly'), '', 'the invite is for this address only');
      await member.page.getByLabel('Name').fill('Sam');
      await member.page.getByLabel('Password').fill('sams long password');
      await member.page.getByRole('button', { name: 'Create account' }).click();
      await member.page.locator('codeyard-app .who').filter({ hasText: 'Sam' }).waitFor();
      await member.page.getByText('No repls yet').waitFor();
      assert.equal(await member.page.locator(`repl-card[data-id="${oldRepl}"]`).count(), 0);
      assert.equal(await member.page.getByRole('button', { name: 'Invite' }).count(), 0, 'members do not invite');
      const status = await member.page.evaluate(async (id) => (await fetch(`/api/repls/${id}`, { credentials: 'same-origin' })).status, oldRepl);
      assert.equal(status, 404, "the owner's repl does not exist for the member");

      await member.page.getByRole('button', { name: 'Sign out' }).click();
      await member.page.getByRole('heading', { name: 'Sign in to Codeyard' }).waitFor();
      await member.page.getByLabel('Email').fill('SAM@example.com');
      await member.page.getByLabel('Password').fill('wrong password');
      await member.page.getByRole('button', { name: 'Sign in' }).click();
      await member.page.getByText('the email or password is wrong').waitFor();
      await member.page.getByLabel('Password').fill('sams long password');
      await member.page.getByRole('button', { name: 'Sign in' }).click();
      await member.page.locator('codeyard-app .who').filter({ hasText: 'Sam' }).waitFor();
      await member.page.screenshot({ path: path.join(SHOTS, 'member-dashboard.png') });
    } finally {
      await member.context.close();
    }
    // The owner's page is untouched by all this.
    await owner.page.reload();
    await owner.page.locator(`repl-card[data-id="${oldRepl}"]`).waitFor();
  });
});
