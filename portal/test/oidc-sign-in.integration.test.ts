import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { oidcErrorMessage } from '@codeyard/common/api/oidc';
import { browserUnavailable, launchChromium } from './helpers/browser.js';
import { type OidcPortal, startOidcPortal } from './helpers/oidc-portal.js';
import { startOidcProvider, type TestOidcProvider } from './helpers/oidc-test-provider.js';
import { REPO_ROOT } from './helpers/test-portal.js';

const SHOTS = path.join(REPO_ROOT, 'test-results', 'oidc-sign-in');

/**
 * "Sign in with …" in real Chromium: the portal in accounts mode (open sign-up; runtime and store
 * are the doubles MemoryRuntime and MemoryStore, no repl is started) and a real OpenID provider
 * (oidc-provider) on loopback. The sign-in page shows the provider's button; clicking it goes
 * through the provider's own login and consent pages and lands signed in on the dashboard; a
 * refused sign-in comes back to the sign-in page with the fixed message for its code. A portal
 * without providers shows no button.
 */
describe('OpenID sign-in in a real browser', { timeout: 120_000, skip: browserUnavailable() }, () => {
  let op: TestOidcProvider;
  let portal: OidcPortal;
  let bare: OidcPortal;
  let browser: Browser;
  const problems: string[] = [];

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    op = await startOidcProvider({
      users: {
        alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Liddell' },
        mallory: { email: 'mallory@example.com', email_verified: false, name: 'Mallory' },
        // An address the provider does not vouch for: this person gets in only by connecting.
        'sam-sub': { email: 'sam@elsewhere.example', email_verified: false, name: 'Sam at the provider' },
      },
    });
    portal = await startOidcPortal(op, { CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'open' }, [{ id: 'test', name: 'Test ID' }]);
    bare = await startOidcPortal(op, { CODEYARD_AUTH: 'accounts', CODEYARD_SIGNUP: 'open' }, []);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await portal?.close();
    await bare?.close();
    await op?.close();
  });

  /** A fresh browser (no cookies) that reaches only loopback: the provider's page asks for a web font. */
  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
    await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/]|localhost[:/])/, (route) => route.abort());
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(err.message));
    return { context, page };
  }

  /** On the provider's pages: its login form as `login` (any password), then its consent form. */
  async function throughProvider(page: Page, login: string): Promise<void> {
    await page.waitForURL((url) => url.origin === op.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  it('shows "Sign in with Test ID"; through the provider it lands signed in on the dashboard', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${portal.origin}/`);
      await page.getByRole('heading', { name: 'Sign in to Codeyard' }).waitFor();
      const button = page.getByRole('button', { name: 'Sign in with Test ID' });
      await button.waitFor();
      await page.screenshot({ path: path.join(SHOTS, 'sign-in-page.png') });
      await button.click();
      await throughProvider(page, 'alice');
      await page.locator('codeyard-app .who').filter({ hasText: 'Alice Liddell' }).waitFor();
      assert.equal(page.url(), `${portal.origin}/`);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      const cookies = await context.cookies(portal.origin);
      assert.ok(cookies.some((c) => c.name === 'codeyard_token' && c.value.startsWith('cys_') && c.httpOnly && c.sameSite === 'Lax'), 'a session cookie');
      assert.equal(cookies.some((c) => c.name === 'codeyard_oidc'), false, 'the flow cookie is gone');
      const [signin] = await portal.audit('signin');
      assert.deepEqual(signin?.details, { method: 'oidc', provider: 'test', how: 'created' });
      await page.screenshot({ path: path.join(SHOTS, 'dashboard.png') });
    } finally {
      await context.close();
    }
  });

  it('comes back to the sign-in page with the fixed message when the address is not verified', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${portal.origin}/signin`);
      await page.getByRole('button', { name: 'Sign in with Test ID' }).click();
      await throughProvider(page, 'mallory');
      await page.getByRole('alert').filter({ hasText: oidcErrorMessage('unverified', 'Test ID') }).waitFor();
      assert.equal(page.url(), `${portal.origin}/signin?error=unverified&provider=test`);
      await page.getByRole('heading', { name: 'Sign in to Codeyard' }).waitFor();
      assert.equal((await context.cookies(portal.origin)).some((c) => c.value.startsWith('cys_')), false, 'nobody signed in');
      await page.screenshot({ path: path.join(SHOTS, 'unverified.png') });
      // Text in the URL is never shown: an unknown code shows nothing.
      await page.goto(`${portal.origin}/signin?error=${encodeURIComponent('Your account is locked: call +1 555')}&provider=test`);
      await page.getByRole('button', { name: 'Sign in with Test ID' }).waitFor();
      assert.equal(await page.getByText('call +1 555').count(), 0);
    } finally {
      await context.close();
    }
  });

  it('connects the provider from the dashboard of a password account, which then signs in with it', async () => {
    const first = await newPage();
    try {
      await first.page.goto(`${portal.origin}/signup`);
      await first.page.getByLabel('Name').fill('Sam');
      await first.page.getByLabel('Email').fill('sam@example.com');
      await first.page.getByLabel('Password').fill('sams long password');
      await first.page.getByRole('button', { name: 'Create account' }).click();
      await first.page.locator('codeyard-app .who').filter({ hasText: 'Sam' }).waitFor();
      await first.page.getByRole('button', { name: 'Connect Test ID' }).click();
      await throughProvider(first.page, 'sam-sub');
      await first.page.getByRole('status').filter({ hasText: 'Test ID is connected to this account' }).waitFor();
      assert.equal(first.page.url(), `${portal.origin}/?connected=test`);
      await first.page.locator('codeyard-app .who').filter({ hasText: 'Sam' }).waitFor();
      // Listed as connected, and no longer offered as "Connect".
      await first.page.getByRole('list', { name: 'Connected providers' }).getByRole('listitem').filter({ hasText: 'Test ID' }).waitFor();
      assert.equal(await first.page.getByRole('button', { name: 'Connect Test ID', exact: true }).count(), 0, 'a connected provider is not offered again');
      await first.page.screenshot({ path: path.join(SHOTS, 'connected.png') });
    } finally {
      await first.context.close();
    }
    const [link] = await portal.audit('identity.link');
    assert.deepEqual([link?.details.how, link?.details.subject], ['connected', 'sam-sub']);
    const later = await newPage();
    try {
      await later.page.goto(`${portal.origin}/signin`);
      await later.page.getByRole('button', { name: 'Sign in with Test ID' }).click();
      await throughProvider(later.page, 'sam-sub');
      await later.page.locator('codeyard-app .who').filter({ hasText: 'Sam' }).waitFor();
      const me = await later.page.evaluate(async () => (await (await fetch('/api/me', { credentials: 'same-origin' })).json()) as { email: string });
      assert.equal(me.email, 'sam@example.com', 'the password account, not a new one');
      // Listed on the dashboard, and disconnected from there (Sam has a password: a way in stays).
      const row = later.page.getByRole('list', { name: 'Connected providers' }).getByRole('listitem').filter({ hasText: 'Test ID' });
      await row.filter({ hasText: 'sam@elsewhere.example' }).waitFor();
      await later.page.locator('codeyard-app section.connect').screenshot({ path: path.join(SHOTS, 'providers.png') });
      await row.getByRole('button', { name: 'Disconnect Test ID' }).click();
      await later.page.getByRole('button', { name: 'Disconnect', exact: true }).click();
      await row.waitFor({ state: 'detached' });
      await later.page.getByRole('button', { name: 'Connect Test ID', exact: true }).waitFor();
    } finally {
      await later.context.close();
    }
    const [unlinked] = await portal.audit('identity.unlink');
    assert.deepEqual(unlinked?.details, { provider: 'test' });
  });

  it('offers the provider on the open sign-up page too, and no button on a portal without providers', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${portal.origin}/signup`);
      await page.getByRole('button', { name: 'Create account' }).waitFor();
      await page.getByRole('button', { name: 'Sign in with Test ID' }).waitFor();
      await page.goto(`${bare.origin}/signin`);
      await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      assert.equal(await page.getByRole('button', { name: /Sign in with/ }).count(), 0);
      assert.equal(await page.locator('sign-in-view .providers').count(), 0);
    } finally {
      await context.close();
    }
    assert.deepEqual(problems, [], 'no page errors');
  });
});
