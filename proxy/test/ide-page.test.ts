import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseHost } from '@codeyard/common/hostnames';
import { GrantSigner } from '@codeyard/common/tickets';
import { IdePage, pageAnswersQuery } from '../src/ide-page.js';
import { ideStaticRootOf } from '../src/ide-static.js';
import { HOST_COOKIE, type ProxiedRepl, ReplProxy } from '../src/repl-proxy.js';

const ID = 'abcdefgh2345';
const OWNER = 'u-owner';
const COMMIT = 'd'.repeat(40);
const USER_DATA = '/home/user/.local/share/code-server';

/** VS Code's template as code-server ships it, cut down to its placeholders. */
const TEMPLATE = `<!DOCTYPE html>
<html><head>
<script nonce="{{WORKBENCH_SCRIPT_NONCE}}">performance.mark('code/didStartRenderer');</script>
<link rel="apple-touch-icon" href="{{BASE}}/_static/src/browser/media/pwa-icon-192.png" />
<meta id="vscode-workbench-web-configuration" data-settings="{{WORKBENCH_WEB_CONFIGURATION}}">
<meta id="vscode-workbench-web-base-url" data-settings="{{WORKBENCH_WEB_BASE_URL}}">
<meta id="vscode-workbench-auth-session" data-settings="{{WORKBENCH_AUTH_SESSION}}">
<link rel="manifest" href="{{VS_BASE}}/manifest.json" crossorigin="use-credentials" />
</head><body></body>
<script type="module" src="{{WORKBENCH_NLS_FALLBACK_URL}}"></script>
<script type="module" src="{{WORKBENCH_NLS_URL}}"></script>
<script type="module" src="{{WORKBENCH_WEB_BASE_URL}}/out/vs/code/browser/workbench/workbench.js"></script>
</html>
`;

/** A stand-in for code-server's `lib/vscode`: product.json and the page's template. */
function makeInstall(product: Record<string, unknown> = {}, template = TEMPLATE): string {
  const vscode = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-page-')), 'lib', 'vscode');
  fs.mkdirSync(path.join(vscode, 'out', 'vs', 'code', 'browser', 'workbench'), { recursive: true });
  fs.writeFileSync(path.join(vscode, 'product.json'), JSON.stringify({ quality: 'stable', commit: COMMIT, codeServerVersion: '4.139.1', enableTelemetry: true, linkProtectionTrustedDomains: ['https://open-vsx.org'], ...product }));
  fs.writeFileSync(path.join(vscode, 'out', 'vs', 'code', 'browser', 'workbench', 'workbench.html'), template);
  return vscode;
}

function pageOf(vscode: string, userDataPath = USER_DATA): IdePage | undefined {
  return IdePage.of({ install: ideStaticRootOf(vscode)!, userDataPath });
}

/** The configuration the page hands VS Code, read back as the workbench reads it. */
function configurationOf(body: string): Record<string, unknown> {
  const attribute = /id="vscode-workbench-web-configuration" data-settings="([^"]*)"/.exec(body)![1]!;
  const text = attribute.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return JSON.parse(text) as Record<string, unknown>;
}

describe("VS Code's page, made from the install", () => {
  it("fills every placeholder with what code-server would: the install's static route, this user-data folder, no language pack", () => {
    const { body, headers } = pageOf(makeInstall())!.render();
    assert.doesNotMatch(body, /\{\{[A-Z_]+\}\}/, 'no placeholder left unfilled');
    assert.match(body, new RegExp(`src="stable-${COMMIT}/static/out/vs/code/browser/workbench/workbench.js"`));
    assert.match(body, new RegExp(`src="stable-${COMMIT}/static/out/nls.messages.js"`));
    assert.match(body, /<script type="module" src=""><\/script>/, 'English: no language pack messages');
    assert.match(body, /href="\.\/_static\/src\/browser\/media\/pwa-icon-192\.png"/);
    const config = configurationOf(body);
    assert.equal(config.userDataPath, USER_DATA);
    assert.equal(config.remoteAuthority, 'remote');
    assert.equal(config.enableWorkspaceTrust, false);
    assert.equal(config.callbackRoute, `stable-${COMMIT}/callback`);
    assert.equal((config.productConfiguration as { codeServerVersion: string }).codeServerVersion, '4.139.1');
    assert.equal(headers['content-type'], 'text/html');
    assert.equal(headers['cache-control'], 'no-store');
  });

  it('gives every answer a nonce of its own, in the scripts and in the Content-Security-Policy', () => {
    const page = pageOf(makeInstall())!;
    const nonces = [page.render(), page.render()].map(({ body, headers }) => {
      const inBody = [...body.matchAll(/nonce="([^"]+)"/g)].map((m) => m[1]);
      assert.equal(new Set(inBody).size, 1);
      assert.match(headers['content-security-policy']!, new RegExp(`'nonce-${inBody[0]}'`));
      assert.match(headers['content-security-policy']!, /default-src 'self';/);
      return inBody[0];
    });
    assert.notEqual(nonces[0], nonces[1]);
  });

  it('escapes what goes in an attribute, as VS Code does', () => {
    const { body } = pageOf(makeInstall(), `/home/a"b'c<d>&e`)!.render();
    assert.match(body, /\/home\/a\\&quot;b&apos;c&lt;d&gt;&amp;e/);
    assert.equal(configurationOf(body).userDataPath, `/home/a"b'c<d>&e`);
  });

  it('makes nothing for a code-server it was not checked against, or a template it does not know', () => {
    assert.equal(pageOf(makeInstall({ codeServerVersion: '4.140.0' })), undefined);
    assert.equal(pageOf(makeInstall({ codeServerVersion: undefined })), undefined);
    assert.equal(pageOf(makeInstall({}, `${TEMPLATE}<meta data-x="{{WORKBENCH_DEV_CSS_MODULES}}">`)), undefined);
    const noTemplate = makeInstall();
    fs.rmSync(path.join(noTemplate, 'out', 'vs', 'code', 'browser', 'workbench', 'workbench.html'));
    assert.equal(pageOf(noTemplate), undefined);
  });

  it('answers only queries code-server answers with the page itself', () => {
    const table: Array<[string, boolean]> = [
      ['folder=%2Fhome%2Fuser%2Fworkspace', true],
      ['folder=%2Fhome%2Fuser%2Fworkspace&payload=%5B%5D', true],
      ['workspace=%2Fhome%2Fuser%2Fa.code-workspace', true],
      ['', false], // code-server redirects to the folder it was started with
      ['folder=', false],
      ['ew=true', false],
      ['folder=%2Fw&tkn=abc', false], // a connection token: a redirect that sets a cookie
    ];
    for (const [query, want] of table) assert.equal(pageAnswersQuery(new URLSearchParams(query)), want, query);
  });
});

/**
 * The proxy with a repl whose install it may make the page for: a stand-in code-server records
 * what reaches it and answers its own page.
 */
describe("the proxy answering the bar's frame", () => {
  const vscode = makeInstall();
  const install = ideStaticRootOf(vscode)!;
  const signer = new GrantSigner(randomBytes(32));
  const reached: Array<{ url: string; dest: string | undefined }> = [];
  let languageSet: boolean | 'fails' = false;
  const repl: ProxiedRepl = { owner: OWNER, status: 'running', isPublic: () => true, ideStatic: install, idePage: { install, userDataPath: USER_DATA } };
  let upstream: http.Server;
  let server: http.Server;
  let port: number;
  let proxy: ReplProxy;

  before(async () => {
    upstream = http.createServer((req, res) => {
      reached.push({ url: req.url!, dest: req.headers['sec-fetch-dest'] as string | undefined });
      res.writeHead(200, { 'content-type': 'text/html' }).end("code-server's page");
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    repl.ide = { kind: 'tcp', host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port };
    proxy = new ReplProxy({
      backend: {
        lookup: async (id) => (id === ID ? repl : undefined),
        wake: () => undefined,
        app: async () => ({ app: { running: false }, previewUrl: '' }),
        name: async () => 'repl',
        displayLanguageSet: async () => {
          if (languageSet === 'fails') throw new Error('agent gone');
          return languageSet;
        },
      },
      signer,
      publicOrigin: { domain: 'localhost', scheme: 'http', port: 0 },
      sessionTtlMs: 60_000,
    });
    server = http.createServer((req, res) => {
      const r = parseHost(req.headers.host, { domain: 'localhost' });
      if (r.kind === 'ide' || r.kind === 'preview') void proxy.handleRequest(req, res, r);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    upstream.closeAllConnections();
    upstream.close();
    proxy.close();
  });

  const host = `${ID}.localhost`;
  const session = (account = OWNER): string => `${HOST_COOKIE}=${encodeURIComponent(signer.sign({ purpose: 'session', host, account, expiresAt: Date.now() + 60_000 }))}`;
  const FRAME = '/?folder=%2Fhome%2Fuser%2Fworkspace&payload=%5B%5D';

  function get(p: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      http
        .request({ host: '127.0.0.1', port, method, path: p, headers: { host, accept: 'text/html', ...headers }, agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        })
        .on('error', reject)
        .end();
    });
  }

  /** Waits (bounded) until the stand-in code-server has seen `count` requests. */
  async function reachedCount(count: number): Promise<void> {
    for (let n = 0; n < 100 && reached.length < count; n++) await sleep(20);
  }

  it("answers the owner's frame with the page, and asks code-server for it in the background (its server loads)", async () => {
    reached.length = 0;
    const res = await get(FRAME, { cookie: session(), 'sec-fetch-dest': 'iframe' });
    assert.equal(res.status, 200);
    assert.match(res.body, /vscode-workbench-web-configuration/);
    assert.match(String(res.headers['content-security-policy']), /'nonce-/);
    assert.equal(res.headers['cache-control'], 'no-store');
    await reachedCount(1);
    assert.deepEqual(reached, [{ url: FRAME, dest: 'iframe' }], 'code-server got the same request, its answer thrown away');
  });

  it("leaves the page to code-server when the repl set a display language, or its agent cannot say", async () => {
    for (const answer of [true, 'fails'] as const) {
      languageSet = answer;
      reached.length = 0;
      const res = await get(FRAME, { cookie: session(), 'sec-fetch-dest': 'iframe' });
      assert.equal(res.body, "code-server's page", String(answer));
      assert.equal(reached.length, 1);
    }
    languageSet = false;
  });

  it('leaves to code-server what it answers otherwise: no folder (its redirect), HEAD, no Sec-Fetch-Dest', async () => {
    for (const [p, headers, method] of [
      ['/', { 'sec-fetch-dest': 'iframe' }, 'GET'],
      ['/?tkn=x&folder=%2Fw', { 'sec-fetch-dest': 'iframe' }, 'GET'],
      [FRAME, { 'sec-fetch-dest': 'iframe' }, 'HEAD'],
      [FRAME, {}, 'GET'],
    ] as Array<[string, Record<string, string>, string]>) {
      reached.length = 0;
      const res = await get(p, { cookie: session(), ...headers }, method);
      assert.equal(reached.length, 1, `${method} ${p} ${JSON.stringify(headers)} reached code-server`);
      if (method === 'GET') assert.equal(res.body, "code-server's page");
    }
  });

  it('gives no page to anyone but the owner, nor to a repl that is not running', async () => {
    reached.length = 0;
    const stranger = await get(FRAME, { 'sec-fetch-dest': 'iframe' });
    assert.equal(stranger.status, 302, 'sent to sign in');
    const other = await get(FRAME, { cookie: session('u-other'), 'sec-fetch-dest': 'iframe' });
    assert.equal(other.status, 302);
    repl.status = 'stopped';
    const stopped = await get(FRAME, { cookie: session(), 'sec-fetch-dest': 'iframe' });
    repl.status = 'running';
    assert.equal(stopped.status, 503);
    for (const res of [stranger, other, stopped]) assert.doesNotMatch(res.body, /vscode-workbench-web-configuration/);
    assert.deepEqual(reached, []);
  });

  it("lets the bar's page preload nothing when the frame's page comes from here", async () => {
    const bar = await get(FRAME, { cookie: session(), 'sec-fetch-dest': 'document' });
    assert.match(bar.body, /id="codeyard-bar"/);
    assert.doesNotMatch(bar.body, /rel="preload"/);
    Object.assign(repl, { idePage: undefined });
    const preloading = await get(FRAME, { cookie: session(), 'sec-fetch-dest': 'document' });
    Object.assign(repl, { idePage: { install, userDataPath: USER_DATA } });
    assert.match(preloading.body, /rel="preload" href="\/stable-d+\/static\/out\/vs\/code\/browser\/workbench\/workbench\.js"/, 'while code-server makes the page, the bar preloads');
  });
});
