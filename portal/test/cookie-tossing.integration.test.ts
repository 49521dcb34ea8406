import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import type { ReplView } from '../src/repls/repl-service.js';
import { browserUnavailable, CHROMIUM } from './helpers/browser.js';
import { eventually, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * Cookie tossing: an app served on a preview host sets a cookie for the parent domain that
 * the browser then sends to the portal beside (and, with a longer Path, before) the visitor's
 * own session. Tested in real Chromium on a real (non-localhost) domain: every name resolves to
 * 127.0.0.1 (`--host-resolver-rules`), so no traffic leaves loopback.
 */

const DOMAIN = 'codeyard.test';

function launchResolvingToLoopback(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Every name is loopback, and no proxy is ever asked: nothing leaves this machine.
      '--host-resolver-rules=MAP * 127.0.0.1',
      '--no-proxy-server',
    ],
  });
}

/** An app that, when visited, sets the attacker's session token as the portal's cookie for `cookieDomain`. */
function tossingApp(attackerToken: string, cookieDomain: string): string {
  const script = [
    // Path=/api is longer than the victim's Path=/: Chromium sends it first on every API call.
    `document.cookie = 'codeyard_token=${attackerToken}; domain=${cookieDomain}; path=/api';`,
    `document.cookie = 'codeyard_token=${attackerToken}; domain=${cookieDomain}; path=/';`,
    `document.title = 'tossed';`,
  ].join('\n');
  return `require('node:http').createServer((req, res) => {
  res.setHeader('content-type', 'text/html');
  res.end(${JSON.stringify(`<!doctype html><title>app</title><script>${script}</script>`)});
}).listen(3000, '0.0.0.0');
`;
}

/** The API on the portal host of DOMAIN (the test helper's api() talks to localhost). */
function api(t: TestPortal, token: string | undefined, method: string, path: string, body?: unknown) {
  return request(t.port, {
    method,
    path,
    host: `${DOMAIN}:${t.port}`,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The attacker's repl, running tossingApp on its (public) port 3000; answers its preview URL. */
async function startTossingPreview(t: TestPortal, cookieDomain: string): Promise<{ attackerToken: string; previewUrl: string }> {
  const attackerToken = (await api(t, undefined, 'POST', '/api/session')).json<{ token: string }>().token;
  const repl = (await api(t, attackerToken, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
  const put = await api(t, attackerToken, 'PUT', `/api/repls/${repl.id}/files/index.js`, tossingApp(attackerToken, cookieDomain));
  assert.ok(put.status === 200 || put.status === 201, `write the app: ${put.status} ${put.body}`);
  const started = await api(t, attackerToken, 'POST', `/api/repls/${repl.id}/app/start`);
  assert.equal(started.status, 200, started.body);
  const url = new URL(repl.previewUrl);
  await eventually(async () => (await request(t.port, { host: url.host, path: '/' })).body.includes('tossed'), 'the tossing app answers on its preview host', 60_000);
  return { attackerToken, previewUrl: repl.previewUrl };
}

describe('cookie tossing from a preview, in Chromium', { timeout: 300_000, skip: browserUnavailable() }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchResolvingToLoopback();
  });
  after(() => browser?.close());

  /** A visitor's browser with a portal session made by the portal's own page; answers the page and its token. */
  async function visitor(t: TestPortal) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const portalUrl = `http://${DOMAIN}:${t.port}/`;
    await page.goto(portalUrl);
    const token = await eventually(async () => (await context.cookies(portalUrl)).find((c) => c.name === 'codeyard_token')?.value, 'the page made a session');
    const apiRepls = () => page.evaluate(async () => {
      const res = await fetch('/api/repls', { credentials: 'same-origin' });
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } | Array<{ id: string }> };
    });
    return { context, page, portalUrl, token, apiRepls };
  }

  describe('with previews on a separate domain (required outside localhost)', () => {
    let t: TestPortal;
    before(async () => {
      t = await startTestPortal({ env: { CODEYARD_DOMAIN: DOMAIN, CODEYARD_PREVIEW_DOMAIN: 'apps.test' } });
    });
    after(() => t?.close());

    it('a preview cannot set a cookie the portal receives: the visitor keeps their own session', async () => {
      const { previewUrl } = await startTossingPreview(t, DOMAIN);
      assert.match(previewUrl, /^http:\/\/[a-z2-7]+-3000\.apps\.test:/);
      const v = await visitor(t);
      const app = await v.context.newPage();
      await app.goto(previewUrl);
      assert.equal(await app.title(), 'tossed', 'the app page ran');
      const cookies = (await v.context.cookies(v.portalUrl)).filter((c) => c.name === 'codeyard_token');
      assert.deepEqual(cookies.map((c) => c.value), [v.token], 'Chromium refused a cookie for another site');
      const repls = await v.apiRepls();
      assert.equal(repls.status, 200);
      assert.deepEqual(repls.body, [], "the visitor sees their own (empty) account, not the attacker's");
      await v.context.close();
    });
  });

  describe('with previews on the same site (CODEYARD_PREVIEWS_SAME_SITE=on)', () => {
    let t: TestPortal;
    before(async () => {
      t = await startTestPortal({ env: { CODEYARD_DOMAIN: DOMAIN, CODEYARD_PREVIEWS_SAME_SITE: 'on' } });
    });
    after(() => t?.close());

    it("a tossed parent-domain cookie no longer shadows the visitor's session: the portal refuses to guess and says what to do", async () => {
      const { previewUrl } = await startTossingPreview(t, DOMAIN);
      assert.match(previewUrl, new RegExp(`^http://[a-z2-7]+-3000\\.${DOMAIN.replace('.', '\\.')}:`));
      const v = await visitor(t);
      const app = await v.context.newPage();
      await app.goto(previewUrl);
      assert.equal(await app.title(), 'tossed');
      // The browser now holds the attacker's token too, for the whole domain: the attack is real.
      assert.ok((await v.context.cookies(`${v.portalUrl}api/repls`)).filter((c) => c.name === 'codeyard_token').length >= 2, 'Chromium took the tossed cookie');
      const repls = await v.apiRepls();
      assert.equal(repls.status, 400, `the attacker's account is not used: ${JSON.stringify(repls.body)}`);
      const error = (repls.body as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'COOKIE_CONFLICT');
      assert.match(error.message, /Clear the cookies of codeyard\.test/);
      // The dashboard says so too, instead of showing the attacker's repls.
      await v.page.reload();
      await v.page.locator('[role="alert"]', { hasText: 'Clear the cookies' }).first().waitFor({ timeout: 30_000 });
      // Nor can the page make itself a new session on top: that would not help.
      const session = await v.page.evaluate(async () => (await fetch('/api/session', { method: 'POST', credentials: 'same-origin' })).status);
      assert.equal(session, 400);
      await v.context.close();
    });
  });
});

describe('the session cookie over https', { timeout: 120_000 }, () => {
  let t: TestPortal;
  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_DOMAIN: DOMAIN, CODEYARD_PREVIEW_DOMAIN: 'apps.test', CODEYARD_PUBLIC_SCHEME: 'https' } });
  });
  after(() => t?.close());

  it('is a __Host- cookie (host-only, Secure, Path=/), and the unprefixed name a sibling could set is not read', async () => {
    const host = `${DOMAIN}:${t.port}`;
    const res = await request(t.port, { method: 'POST', host, path: '/api/session', headers: { origin: `https://${host}` } });
    assert.equal(res.status, 201, res.body);
    const setCookie = String(res.headers['set-cookie']);
    assert.match(setCookie, /^__Host-codeyard_token=cy_[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/);
    assert.doesNotMatch(setCookie, /Domain=/i);
    const token = res.json<{ token: string }>().token;
    const list = (cookie: string) => request(t.port, { host, path: '/api/repls', headers: { cookie } });
    assert.equal((await list(`__Host-codeyard_token=${token}`)).status, 200);
    assert.equal((await list(`codeyard_token=${token}`)).status, 401, 'a cookie any subdomain can set proves nothing');
    const twice = await list(`__Host-codeyard_token=${token}; __Host-codeyard_token=${token}`);
    assert.equal(twice.status, 400);
    assert.equal(twice.json().error.code, 'COOKIE_CONFLICT');
  });
});
