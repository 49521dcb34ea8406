import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { browserUnavailable, launchChromium } from '@codeyard/portal/test/helpers/browser';
import { eventually } from '@codeyard/portal/test/helpers/http';
import { REPO_ROOT, startTestPortal, type TestPortal } from '@codeyard/portal/test/helpers/test-portal';
import type { Repl } from '@codeyard/common/api/models';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { parseDeepLink } from '../src/main/deep-link.js';
import { PortalClient } from '../src/main/portal-client.js';
import { toolbarState } from '../src/main/repl-state.js';
import { layoutReplWindow } from '../src/main/window-layout.js';
import { composeWindow } from './helpers/compose-window.js';
import { startHomeHarness, UI_DIR } from './helpers/home-harness.js';

const SHOTS = path.join(REPO_ROOT, 'test-results', 'desktop');

/**
 * The home window's pages in headless Chromium against a real portal (real sandboxes and
 * code-server): sign in by the device flow (approved in the user's own browser context), the
 * portal's own elements listing stacks and repls
 * through the app's origin, create a repl (which opens its window), Run from a card with the
 * live status following, Open IDE, sign out. Then the repl window's views at their laid-out
 * sizes, composed into the README's picture.
 */
describe('the home window in Chromium, against a real portal', { timeout: 420_000, skip: browserUnavailable() }, () => {
  let t: TestPortal;
  let browser: Browser;
  let home: Awaited<ReturnType<typeof startHomeHarness>>;
  let server: string;
  let page: Page;
  let user: BrowserContext;
  let replId: string;
  let step = 0;

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    t = await startTestPortal({ env: { CODEYARD_AUTH: 'anonymous' } });
    server = `http://localhost:${t.port}`;
    home = await startHomeHarness({ server, uiDir: UI_DIR });
    browser = await launchChromium();
    // The user's own browser, signed in to the portal (an anonymous account's session today).
    user = await browser.newContext();
    await user.addCookies([{ name: 'codeyard_token', value: await t.newToken(), url: server }]);
    page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    page.on('pageerror', (err) => console.log(`[home page] ${String(err)}`));
    page.on('console', (m) => m.type() === 'error' && console.log(`[home page console] ${m.text()}`));
    await home.attach(page);
  });
  afterEach(async () => {
    await page?.screenshot({ path: path.join(SHOTS, `after-${++step}.png`) }).catch(() => undefined);
  });
  after(async () => {
    await browser?.close();
    await home?.close();
    await t?.close();
  });

  it('starts signed out and signs in by the device flow: the approval page opens in the browser, where the signed-in user approves', async () => {
    await page.goto(`${home.origin}/`);
    await page.getByRole('heading', { name: `Sign in to localhost:${t.port}` }).waitFor();
    await page.getByRole('button', { name: 'Sign in with the browser' }).click();
    const code = await page.getByLabel('Sign-in code').innerText({ timeout: 15_000 });
    // "The system browser": the user's own browser context, signed in to the portal.
    await eventually(async () => home.external.length === 1, 'the approval page to be opened');
    const approval = new URL(home.external[0]!);
    assert.equal(`${approval.origin}${approval.pathname}`, `${server}/device`);
    const userPage = await user.newPage();
    await userPage.goto(approval.href);
    await userPage.locator('device-approval .user-code').filter({ hasText: code }).waitFor();
    await userPage.getByRole('button', { name: 'Approve' }).click();
    await userPage.getByRole('heading', { name: /^Approved/ }).waitFor();
    await userPage.close();
    // The app polls every `interval` (5 s), stores the token and loads the home page again.
    await page.getByRole('button', { name: /Node\.js/ }).waitFor({ timeout: 30_000 });
    const token = home.store.token(server)!;
    assert.match(token, /^cyp_/, 'a personal API token of its own');
    assert.ok(!(await page.content()).includes(token), 'the token never reaches the page');
    assert.equal(await page.evaluate(() => document.cookie), '');
    assert.equal(home.store.summary(server)?.tokenKept, 'safe-storage');
  });

  it('creates a repl with the portal\'s elements and opens its window when it runs', async () => {
    await page.getByRole('button', { name: /Node\.js/ }).click();
    await page.getByRole('heading', { name: /Starting/ }).waitFor();
    const opened = await eventually(async () => home.opened[0], 'the repl window to open', 150_000);
    replId = opened.replId;
    assert.equal(opened.port, undefined);
    const card = page.locator(`repl-card[data-id="${replId}"]`);
    await card.locator('.status.running').waitFor({ timeout: 60_000 });
    assert.equal(await page.evaluate(() => (document.querySelector('desktop-home') as HTMLElement).dataset.feed), 'live', 'live status through the app\'s origin');
    // The account's running limit, as the portal's dashboard shows it.
    await page.locator('repl-list .running').filter({ hasText: /^1 of \d+ running$/ }).waitFor();
  });

  it('runs the app from a card, the status following from the event stream', async () => {
    const card = page.locator(`repl-card[data-id="${replId}"]`);
    await card.getByRole('button', { name: /^Run / }).click();
    await card.locator('dd.app .ok').waitFor({ timeout: 60_000 });
    // Stopped elsewhere (the API, as VS Code's Stop would): the card follows.
    const res = await t.api(home.store.token(server), 'POST', `/api/repls/${replId}/app/stop`);
    assert.equal(res.status, 200);
    await card.getByRole('button', { name: /^Run / }).waitFor({ timeout: 30_000 });
    await card.getByRole('button', { name: /^Run / }).click();
    await card.locator('dd.app .ok').waitFor({ timeout: 60_000 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, 'home.png'), fullPage: true });
  });

  it('opens the IDE in a repl window, never in the home window', async () => {
    const before = home.opened.length;
    const popups: Page[] = [];
    page.context().on('page', (p) => popups.push(p));
    await page.locator(`repl-card[data-id="${replId}"]`).getByRole('link', { name: /Open IDE/ }).click();
    await eventually(async () => home.opened.length > before, 'Open IDE to reach the main process');
    assert.deepEqual(home.opened.at(-1), { replId, port: undefined });
    // In Electron the window-open handler denies the tab (decideWindowOpen); here Chromium made one.
    for (const p of popups) await p.close();
    assert.equal(page.url(), `${home.origin}/`, 'the home window stayed where it was');
  });

  it('offers "Open in Codeyard Desktop" on the browser dashboard, as a link the app parses; not in the app itself', async () => {
    assert.equal(await page.locator(`repl-card[data-id="${replId}"]`).getByRole('link', { name: /in Codeyard Desktop/ }).count(), 0);
    // The portal's own dashboard, in the browser of the user who approved the sign-in: the same account.
    const dashboard = await user.newPage();
    await dashboard.goto(`${server}/`);
    const href = await dashboard.locator(`repl-card[data-id="${replId}"]`).getByRole('link', { name: /in Codeyard Desktop/ }).getAttribute('href');
    assert.deepEqual(parseDeepLink(href!), { action: 'open', server, replId });
    await dashboard.close();
  });

  it('lays out the repl window: toolbar, VS Code through a one-time link, the running app beside it', async () => {
    const client = new PortalClient({ server, token: () => home.store.token(server) });
    const repl: Repl = await client.repl(replId);
    assert.equal(repl.app.running, true);
    const size = { width: 1280, height: 800 };
    const layout = layoutReplWindow({ ...size, previewOpen: true, previewDetached: false, overlay: false });
    const shot = async (url: string, rect: { width: number; height: number }, ready: (p: Page) => Promise<unknown>, setup?: (p: Page) => Promise<void>) => {
      const p = await browser.newPage({ viewport: { width: rect.width, height: rect.height } });
      await setup?.(p);
      await p.goto(url);
      await ready(p);
      const png = await p.screenshot();
      await p.close();
      return png;
    };
    const state = toolbarState(repl, { previewOpen: true, previewDetached: false, busy: false });
    const toolbar = await shot(`${home.origin}/toolbar?repl=${replId}`, layout.toolbar, async (p) => {
      await eventually(() => p.evaluate((s) => ((window as unknown as { __codeyardPush(c: string, p: unknown): void }).__codeyardPush('push:toolbar', s), document.querySelector('repl-toolbar')!.shadowRoot!.querySelector('button.stop') !== null), state), 'the toolbar to show Stop');
    }, (p) => home.attach(p));
    // VS Code alone: the toolbar above is the window's bar, so the portal's Codeyard bar is not repeated.
    const ide = await shot(await client.ideLink(replId), layout.ide!, async (p) => {
      await p.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
      assert.equal(await p.locator('#codeyard-bar').count(), 0, 'no second bar in the repl window');
      await p.waitForTimeout(1500);
    });
    const splitter = await shot(`${home.origin}/splitter`, layout.splitter!, async () => undefined, (p) => home.attach(p));
    const preview = await shot(repl.previewUrl, layout.preview!, (p) => p.locator('h1').waitFor());
    fs.writeFileSync(path.join(SHOTS, 'repl-window.png'), await composeWindow(browser, size, layout, { toolbar, ide, splitter, preview }));
  });

  it('signs out: the server is asked to revoke the token, the app forgets it and shows sign-in', async () => {
    const token = home.store.token(server)!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: `Sign in to localhost:${t.port}` }).waitFor({ timeout: 30_000 });
    assert.equal((await t.api(token, 'GET', '/api/repls')).status, 401, 'the server refuses the revoked token');
    assert.equal(home.store.token(server), undefined);
    assert.equal(home.cleared.length, 1, 'the server\'s partition is wiped');
    assert.deepEqual(home.refused, [], 'every call the page made passed the IPC checks');
  });
});
