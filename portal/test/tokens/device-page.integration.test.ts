import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { pino } from 'pino';
import type { ApiToken, CreatedToken, DeviceStarted, DeviceTokenGranted } from '@codeyard/common/api/tokens';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { browserUnavailable, launchChromium } from '../helpers/browser.js';
import { freePort, request } from '../helpers/http.js';
import { TEMPLATES_DIR } from '../helpers/memory-repls.js';
import { REPO_ROOT } from '../helpers/test-portal.js';

const SHOTS = path.join(REPO_ROOT, 'test-results', 'tokens');

/**
 * The /device approval page and the API tokens panel in real Chromium, against the real portal
 * listening on loopback (the runtime and store are the doubles MemoryRuntime and MemoryStore: no
 * repl is started here) with SQLite: a pending sign-in is approved in the page and the device's
 * poll gets a working token; a token made in the panel is shown once, works, and is revoked.
 */
describe('device sign-in and API tokens in the browser', { timeout: 120_000, skip: browserUnavailable() }, () => {
  let codeyard: Codeyard<MemoryRuntime>;
  let browser: Browser;
  let context: BrowserContext;
  let port: number;
  let origin: string;
  let session: string;
  const problems: string[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-device-page-'));

  const api = async (method: string, apiPath: string, options: { bearer?: string; body?: unknown } = {}) =>
    request(port, {
      method,
      path: apiPath,
      headers: { ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}), ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });

  const newPage = async (): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Uncaught/i.test(msg.text())) problems.push(msg.text());
    });
    return page;
  };

  before(async () => {
    port = await freePort();
    const config = loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), CODEYARD_DATA: dataDir, CODEYARD_TEMPLATES: TEMPLATES_DIR, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'anonymous' });
    codeyard = await createCodeyard(config, { runtime: () => new MemoryRuntime(), store: new MemoryStore(), signingKey: Buffer.alloc(32, 9), log: pino({ level: 'silent' }) });
    await codeyard.listen(port, '127.0.0.1');
    origin = codeyard.portal.origin;
    // Today's signed-in user: an anonymous account's session cookie (the page does not care how it signed in).
    session = (await api('POST', '/api/session')).json<{ token: string }>().token;
    browser = await launchChromium();
    context = await browser.newContext();
    await context.addCookies([{ name: 'codeyard_token', value: session, url: origin }]);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await codeyard?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('approves a pending device sign-in on /device; the device gets a token of this account, once', async () => {
    const started = (await api('POST', '/api/auth/device', { body: { client: 'codeyard CLI', name: 'codeyard CLI on test' } })).json<DeviceStarted>();
    const page = await newPage();
    await page.goto(started.verificationUriComplete);
    const view = page.locator('device-approval');
    await view.locator('.user-code').filter({ hasText: started.userCode }).waitFor();
    assert.equal(await view.locator('.client').innerText(), 'codeyard CLI');
    assert.equal(await view.locator('.token-name').innerText(), 'codeyard CLI on test');
    await page.screenshot({ path: path.join(SHOTS, 'device-approve.png'), fullPage: true });

    await view.getByRole('button', { name: 'Approve' }).click();
    await view.getByText('You can close this tab.').waitFor();
    assert.match(await view.locator('.done h2').innerText(), /Approved: codeyard CLI is signed in/);
    await page.screenshot({ path: path.join(SHOTS, 'device-approved.png'), fullPage: true });

    const granted = await api('POST', '/api/auth/device/token', { body: { deviceCode: started.deviceCode } });
    assert.equal(granted.status, 200, granted.body);
    const { token, tokenId } = granted.json<DeviceTokenGranted>();
    assert.equal((await api('GET', '/api/repls', { bearer: token })).status, 200, 'the token works');
    const mine = (await api('GET', '/api/tokens', { bearer: session })).json<ApiToken[]>();
    assert.ok(mine.some((t) => t.id === tokenId && t.name === 'codeyard CLI on test'), "it is this browser's account's token");
    const again = await api('POST', '/api/auth/device/token', { body: { deviceCode: started.deviceCode } });
    assert.equal(again.json().error.code, 'EXPIRED_TOKEN', 'a code gives its token once');
    assert.deepEqual(problems, []);
  });

  it('makes a token in the API tokens panel, shows it once with Copy, and revokes it', async () => {
    const page = await newPage();
    await page.goto(`${origin}/`);
    const panel = page.locator('api-tokens');
    await panel.locator('tr', { hasText: 'codeyard CLI on test' }).waitFor();
    await panel.getByLabel('Name').fill('ci script');
    await panel.getByLabel('Access').selectOption('read');
    await panel.getByLabel('Expires in').selectOption('30');
    await panel.getByRole('button', { name: 'Create token' }).click();
    const shown = panel.locator('.new-token input');
    await shown.waitFor();
    const value = await shown.inputValue();
    assert.match(value, /^cyp_[A-Za-z0-9_-]{43}$/);
    await panel.getByRole('button', { name: 'Copy' }).click();
    await panel.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), value);
    await page.screenshot({ path: path.join(SHOTS, 'tokens-panel.png'), fullPage: true });

    // The token is read-only, as chosen.
    assert.equal((await api('GET', '/api/repls', { bearer: value })).status, 200);
    assert.equal((await api('POST', '/api/repls', { bearer: value, body: { stack: 'node' } })).status, 403);
    const row = panel.locator('tr', { hasText: 'ci script' });
    assert.match(await row.innerText(), /read only/);

    await panel.getByRole('button', { name: 'Done' }).click();
    assert.equal(await panel.locator('.new-token').count(), 0);
    await page.reload();
    await panel.locator('tr', { hasText: 'ci script' }).waitFor();
    assert.ok(!(await page.content()).includes(value), 'never shown again');
    assert.equal(await panel.locator('input').evaluateAll((inputs, v) => inputs.some((i) => (i as unknown as { value: string }).value === v), value), false, 'in no field either');

    await panel.getByRole('button', { name: 'Revoke ci script' }).click();
    await panel.locator('confirm-dialog').getByRole('button', { name: 'Revoke' }).click();
    await panel.locator('tr', { hasText: 'ci script' }).waitFor({ state: 'detached' });
    assert.equal((await api('GET', '/api/repls', { bearer: value })).status, 401, 'revoked');
    const created = (await api('GET', '/api/tokens', { bearer: session })).json<CreatedToken[]>();
    assert.ok(!created.some((t) => t.name === 'ci script'));
    assert.deepEqual(problems, []);
  });
});
