import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { parseHost } from '@codeyard/common/hostnames';
import { GrantSigner } from '@codeyard/common/tickets';
import { createFrontServer } from '../src/front.js';
import { ideStaticRootOf, IdeStaticFiles, pickEncoding, precompressInstall, resolveStaticFile } from '../src/ide-static.js';
import { installCacheDir, variantPath } from '../src/precompress.js';
import { HOST_COOKIE, type ProxiedRepl, ReplProxy } from '../src/repl-proxy.js';

const ID = 'abcdefgh2345';
const OWNER = 'u-owner';
const COMMIT = 'c'.repeat(40);
const PREFIX = `/stable-${COMMIT}/static/`;
const WORKBENCH = `${'console.log("workbench");\n'.repeat(4000)}`;

/** A stand-in for code-server's `lib/vscode`: a product.json, a few files, and links in and out. */
function makeInstall(): { vscode: string; outside: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-static-'));
  const vscode = path.join(base, 'lib', 'vscode');
  fs.mkdirSync(path.join(vscode, 'out', 'vs', 'code'), { recursive: true });
  fs.writeFileSync(path.join(vscode, 'product.json'), JSON.stringify({ quality: 'stable', commit: COMMIT }));
  fs.writeFileSync(path.join(vscode, 'out', 'vs', 'code', 'workbench.js'), WORKBENCH);
  fs.writeFileSync(path.join(vscode, 'out', 'tiny.css'), 'a{}');
  fs.writeFileSync(path.join(vscode, 'out', 'icon.png'), randomBytes(4096));
  fs.writeFileSync(path.join(vscode, 'out', 'with space.js'), 'x'.repeat(2000));
  const outside = path.join(base, 'secret.txt');
  fs.writeFileSync(outside, 'not for browsers');
  fs.symlinkSync(outside, path.join(vscode, 'out', 'leak.js'));
  fs.symlinkSync(path.join(vscode, 'out', 'tiny.css'), path.join(vscode, 'out', 'alias.css'));
  return { vscode, outside };
}

describe("code-server's static files, found and encoded", () => {
  const { vscode } = makeInstall();
  const install = ideStaticRootOf(vscode)!;

  it("reads the versioned prefix from the install's product.json", () => {
    assert.deepEqual(install, { prefix: PREFIX, root: fs.realpathSync(vscode) });
    assert.equal(ideStaticRootOf(path.join(vscode, 'nowhere')), undefined);
  });

  it('resolves only regular files inside the root: no dot segments, encoded or not, no links out', async () => {
    assert.equal(await resolveStaticFile(install.root, 'out/vs/code/workbench.js'), path.join(install.root, 'out/vs/code/workbench.js'));
    assert.equal(await resolveStaticFile(install.root, 'out/with%20space.js'), path.join(install.root, 'out/with space.js'));
    assert.equal(await resolveStaticFile(install.root, 'out/alias.css'), path.join(install.root, 'out/tiny.css'), 'a link that stays inside is followed');
    for (const rest of ['out/leak.js', '../../secret.txt', '..%2f..%2fsecret.txt', '%2e%2e/%2e%2e/secret.txt', 'out/%2e%2e/product.json', 'out/./tiny.css', 'out//tiny.css', 'out%5c..%5c..%5csecret.txt', 'out/tiny.css%00.js', 'out/%E0%A4%A', 'out', 'out/', 'out/missing.js', '']) {
      assert.equal(await resolveStaticFile(install.root, rest), undefined, rest);
    }
  });

  it('prefers brotli, then gzip, honouring q=0', () => {
    const table: Array<[string | undefined, string | undefined]> = [
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip;q=0.5', 'gzip'],
      ['*', 'br'],
      ['*;q=0', undefined],
      ['identity', undefined],
      [undefined, undefined],
    ];
    for (const [header, want] of table) assert.equal(pickEncoding(header), want, String(header));
  });
});

/**
 * The proxy with a repl whose code-server runs from the install above: an upstream that records
 * what reaches it stands in for code-server, through the full server and the fast path in front.
 */
describe('the proxy serving static files from the install', () => {
  const { vscode } = makeInstall();
  const install = ideStaticRootOf(vscode)!;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-static-cache-'));
  const signer = new GrantSigner(randomBytes(32));
  const reached: string[] = [];
  const repl: ProxiedRepl = { owner: OWNER, status: 'running', isPublic: () => true, ideStatic: install };
  const statics = new IdeStaticFiles({ cacheDir });
  let upstream: http.Server;
  let slow: http.Server;
  let front: ReturnType<typeof createFrontServer>;
  let port: number;
  let proxy: ReplProxy;

  before(async () => {
    upstream = http.createServer((req, res) => {
      reached.push(req.url!);
      res.end(`from the repl: ${req.url}`);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    repl.ide = { kind: 'tcp', host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port };
    proxy = new ReplProxy({
      backend: { lookup: async (id) => (id === ID ? repl : undefined), wake: () => undefined, app: async () => ({ app: { running: false }, previewUrl: '' }), name: async () => 'repl' },
      signer,
      publicOrigin: { domain: 'localhost', scheme: 'http', port: 0 },
      sessionTtlMs: 60_000,
      ideStatic: statics,
    });
    const route = (host: string | undefined) => parseHost(host, { domain: 'localhost' });
    slow = http.createServer((req, res) => {
      const r = route(req.headers.host);
      if (r.kind === 'ide' || r.kind === 'preview') void proxy.handleRequest(req, res, r);
      else res.writeHead(404).end();
    });
    front = createFrontServer({
      http: slow,
      decide: async (head, socket) => {
        const r = route(head.headers.find(([n]) => n.toLowerCase() === 'host')?.[1]);
        return r.kind === 'ide' || r.kind === 'preview' ? proxy.fastAccess(head, r, socket) : undefined;
      },
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    port = (front.address() as net.AddressInfo).port;
  });
  after(async () => {
    front.closeAll();
    front.close();
    slow.closeAllConnections();
    upstream.closeAllConnections();
    upstream.close();
    proxy.close();
    await statics.idle();
  });

  const host = `${ID}.localhost`;
  const session = (account = OWNER, forHost = host): string =>
    `${HOST_COOKIE}=${encodeURIComponent(signer.sign({ purpose: 'session', host: forHost, account, expiresAt: Date.now() + 60_000 }))}`;

  /** One request through the front server (the fast path decides first), on a connection of its own unless an agent is given. */
  function get(p: string, headers: Record<string, string> = {}, options: { method?: string; agent?: http.Agent } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      http
        .request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: p, headers: { host, ...headers }, agent: options.agent ?? false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        })
        .on('error', reject)
        .end();
    });
  }

  it('serves the file, brotli or gzip compressed, cached for good, without asking the repl', async () => {
    reached.length = 0;
    const br = await get(`${PREFIX}out/vs/code/workbench.js`, { cookie: session(), 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(zlib.brotliDecompressSync(br.body).toString(), WORKBENCH);
    assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.equal(br.headers['x-content-type-options'], 'nosniff');
    const gz = await get(`${PREFIX}out/vs/code/workbench.js`, { cookie: session(), 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(zlib.gunzipSync(gz.body).toString(), WORKBENCH);
    const plain = await get(`${PREFIX}out/vs/code/workbench.js`, { cookie: session() });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString(), WORKBENCH);
    assert.equal(plain.headers['content-length'], String(WORKBENCH.length));
    const png = await get(`${PREFIX}out/icon.png`, { cookie: session(), 'accept-encoding': 'br' });
    assert.equal(png.headers['content-type'], 'image/png');
    assert.equal(png.headers['content-encoding'], undefined, 'an image is sent as it is');
    const spaced = await get(`${PREFIX}out/with%20space.js`, { cookie: session() });
    assert.equal(spaced.body.toString(), 'x'.repeat(2000));
    assert.deepEqual(reached, [], 'nothing reached the repl');
  });

  it('sends the copies compressed once, made in the background after the first request', async () => {
    await statics.idle();
    const dir = installCacheDir(cacheDir, install.prefix, install.root);
    const copy = variantPath(dir, 'out/vs/code/workbench.js', 'br');
    assert.ok(fs.existsSync(copy), 'the brotli copy was made');
    assert.ok(fs.existsSync(variantPath(dir, 'out/vs/code/workbench.js', 'gzip')), 'and the gzip one');
    const res = await get(`${PREFIX}out/vs/code/workbench.js`, { cookie: session(), 'accept-encoding': 'br' });
    assert.deepEqual(res.body, fs.readFileSync(copy), 'the copy is what is sent');
    assert.equal(res.headers['content-length'], String(fs.statSync(copy).size));
    assert.equal(zlib.brotliDecompressSync(res.body).toString(), WORKBENCH);
    const head = await get(`${PREFIX}out/vs/code/workbench.js`, { cookie: session(), 'accept-encoding': 'br' }, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    const again = await get(`${PREFIX}out/vs/code/workbench.js`, { cookie: session(), 'accept-encoding': 'br', 'if-none-match': String(res.headers.etag) });
    assert.equal(again.status, 304);
  });

  it('precompresses a whole install ahead (npm run provision)', async () => {
    const ahead = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-static-ahead-'));
    const count = await precompressInstall(install, ahead);
    // workbench.js and "with space.js"; tiny.css is too small, the png is no text, the link leads out.
    assert.equal(count, 2);
    const dir = installCacheDir(ahead, install.prefix, install.root);
    assert.equal(zlib.brotliDecompressSync(fs.readFileSync(variantPath(dir, 'out/vs/code/workbench.js', 'br'))).toString(), WORKBENCH);
    assert.ok(!fs.existsSync(variantPath(dir, 'out/leak.js', 'br')));
  });

  it('answers 404 for paths that are not a file of the install, and never asks the repl instead', async () => {
    reached.length = 0;
    for (const p of ['out/missing.js', 'out/leak.js', '..%2f..%2fsecret.txt', 'out%2f..%2f..%2f..%2fsecret.txt', 'out/..%2f..%2f..%2fsecret.txt', 'out%5c..%5c..%5csecret.txt', 'out', 'out/vs/']) {
      const res = await get(`${PREFIX}${p}`, { cookie: session() });
      assert.equal(res.status, 404, p);
      assert.doesNotMatch(res.body.toString(), /not for browsers/, p);
    }
    assert.deepEqual(reached, []);
    // Dot segments, plain or encoded, are resolved by URL parsing before any decision: the path
    // leaves the static prefix, and is the repl's like any other (code-server refuses it there).
    for (const p of ['%2e%2e/%2e%2e/secret.txt', '../../secret.txt']) {
      const res = await get(`${PREFIX}${p}`, { cookie: session() });
      assert.match(res.body.toString(), /^from the repl/, p);
    }
  });

  it('refuses callers the IDE refuses: no cookie, another account, another host, a stopped repl', async () => {
    reached.length = 0;
    const p = `${PREFIX}out/vs/code/workbench.js`;
    assert.equal((await get(p)).status, 401);
    assert.equal((await get(p, { accept: 'text/html' })).status, 302, 'a browser is sent to sign in');
    assert.equal((await get(p, { cookie: session('u-other') })).status, 401);
    assert.equal((await get(p, { cookie: session(OWNER, 'bbbbbbbb2345.localhost') })).status, 401);
    repl.status = 'stopped';
    try {
      const res = await get(p, { cookie: session() });
      assert.equal(res.status, 503);
      assert.doesNotMatch(res.body.toString(), /workbench/);
    } finally {
      repl.status = 'running';
    }
    assert.deepEqual(reached, []);
  });

  it('leaves other paths, other versions and other methods to the repl', async () => {
    reached.length = 0;
    for (const p of ['/', `/stable-${'d'.repeat(40)}/static/out/vs/code/workbench.js`, '/stable-x/vscode-remote-resource?path=/a']) {
      const res = await get(p, { cookie: session() });
      assert.match(res.body.toString(), /^from the repl/, p);
    }
    const post = await get(`${PREFIX}out/vs/code/workbench.js`, { cookie: session() }, { method: 'POST' });
    assert.match(post.body.toString(), /^from the repl/);
    assert.equal(reached.length, 4);
  });

  it('serves them on a kept-alive connection the fast path took, through a retry on a new one', async () => {
    reached.length = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const fastBefore = front.fastConnections();
      const first = await get('/', { cookie: session() }, { agent });
      assert.match(first.body.toString(), /^from the repl/);
      assert.equal(front.fastConnections(), fastBefore + 1, 'the fast path took the connection');
      // The fast path never forwards a static request: it closes the connection, and a browser
      // retries a request that met a closed reused connection on a new one (done by hand here).
      const res = await get(`${PREFIX}out/vs/code/workbench.js`, { cookie: session(), 'accept-encoding': 'br' }, { agent }).catch(() => get(`${PREFIX}out/vs/code/workbench.js`, { cookie: session(), 'accept-encoding': 'br' }, { agent }));
      assert.equal(res.status, 200);
      assert.equal(zlib.brotliDecompressSync(res.body).toString(), WORKBENCH);
      assert.deepEqual(reached, ['/'], 'only the page reached the repl');
    } finally {
      agent.destroy();
    }
  });

  it("preloads VS Code's first files in the bar page", async () => {
    const res = await get('/', { cookie: session(), accept: 'text/html', 'sec-fetch-dest': 'document' });
    const page = res.body.toString();
    assert.match(page, new RegExp(`<link rel="preload" href="${PREFIX}out/vs/code/browser/workbench/workbench.js" as="script" crossorigin>`));
    assert.match(page, new RegExp(`<link rel="preload" href="${PREFIX}out/vs/code/browser/workbench/workbench.css" as="style">`));
  });
});
