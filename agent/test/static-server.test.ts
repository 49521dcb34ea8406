import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { contentType, fileForUrl, LIVE_RELOAD_PATH, LIVE_RELOAD_SCRIPT, reloadsPages, withLiveReload } from '../src/static-files.js';
import { createStaticServer, type StaticServer } from '../src/static-server.js';

describe('static files: paths, types, the live-reload script', () => {
  it('maps URL paths into the site and refuses ones that climb out or are not paths', () => {
    assert.deepEqual(fileForUrl('/site', '/'), { file: '/site' });
    assert.deepEqual(fileForUrl('/site', '/css/a%20b.css?v=2#x'), { file: '/site/css/a b.css' });
    assert.deepEqual(fileForUrl('/site', '/./a//b'), { file: '/site/a/b' });
    for (const bad of ['/../etc/passwd', '/a/../../x', '/%2e%2e/x', '/a%2Fb', '/a%00b', '/%E0%A4%A']) {
      const answer = fileForUrl('/site', bad);
      assert.ok('status' in answer && answer.status === 400, bad);
    }
  });

  it('serves each kind of file as its type, unknown bytes as a download', () => {
    assert.equal(contentType('index.HTML'), 'text/html; charset=utf-8');
    assert.equal(contentType('app.mjs'), 'text/javascript; charset=utf-8');
    assert.equal(contentType('logo.svg'), 'image/svg+xml');
    assert.equal(contentType('data.bin'), 'application/octet-stream');
    assert.equal(contentType('Makefile'), 'application/octet-stream');
  });

  it('puts the script before the last </body>, or at the end of a page without one', () => {
    assert.equal(withLiveReload('<p>a</p></BODY></html>'), `<p>a</p>${LIVE_RELOAD_SCRIPT}</BODY></html>`);
    assert.equal(withLiveReload('<p>a</p>'), `<p>a</p>${LIVE_RELOAD_SCRIPT}`);
    assert.match(LIVE_RELOAD_SCRIPT, new RegExp(LIVE_RELOAD_PATH));
  });

  it('reloads pages for changes to the site, not to tooling folders', () => {
    assert.equal(reloadsPages('index.html'), true);
    assert.equal(reloadsPages('css/site.css'), true);
    for (const tooling of ['.git/index', 'node_modules/x/y.js', '.venv/bin/python', 'a/__pycache__/b.pyc']) assert.equal(reloadsPages(tooling), false, tooling);
  });
});

describe('the static server, over HTTP', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-static-'));
  const site = path.join(dir, 'site');
  let served: StaticServer;
  let port: number;

  const get = (urlPath: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: urlPath, method }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

  before(async () => {
    fs.mkdirSync(path.join(site, 'docs'), { recursive: true });
    fs.writeFileSync(path.join(site, 'index.html'), '<!doctype html><html><body><h1>Hi</h1></body></html>');
    fs.writeFileSync(path.join(site, 'style.css'), 'h1 { color: red }');
    fs.writeFileSync(path.join(site, 'docs', 'notes.txt'), 'notes');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the site');
    fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(site, 'leak.txt'));
    served = createStaticServer(site);
    await new Promise<void>((resolve) => served.server.listen(0, '127.0.0.1', resolve));
    port = (served.server.address() as AddressInfo).port;
  });
  after(async () => {
    await served.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves pages with the live-reload script and files as they are, never cached', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.body, `<!doctype html><html><body><h1>Hi</h1>${LIVE_RELOAD_SCRIPT}</body></html>`);
    const css = await get('/style.css?v=1');
    assert.deepEqual([css.status, css.headers['content-type'], css.body], [200, 'text/css; charset=utf-8', 'h1 { color: red }']);
    const head = await get('/style.css', 'HEAD');
    assert.deepEqual([head.status, head.headers['content-length'], head.body], [200, '17', '']);
  });

  it('sends a folder to its slash, lists one without index.html, and says 404 for what is not there', async () => {
    const moved = await get('/docs?x=1');
    assert.deepEqual([moved.status, moved.headers.location], [301, '/docs/?x=1']);
    assert.equal((await get('//docs')).headers.location, '/docs/', 'never a location on another host');
    const list = await get('/docs/');
    assert.equal(list.status, 200);
    assert.match(list.body, /<a href="notes\.txt">notes\.txt<\/a>/);
    const missing = await get('/nope.html');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /\/nope\.html is not a file of this site/);
  });

  it('refuses what is not a file of the site: .., links leading out, and methods other than GET and HEAD', async () => {
    const climb = await get('/../secret.txt');
    assert.equal(climb.status, 400);
    assert.match(climb.body, /climbs out/);
    assert.equal((await get('/%2e%2e/secret.txt')).status, 400);
    const link = await get('/leak.txt');
    assert.equal(link.status, 404, 'a link out of the site is not followed');
    assert.doesNotMatch(link.body, /outside the site/);
    const post = await get('/index.html', 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  it('tells open pages to reload when a file of the site changes, and not for tooling folders', async () => {
    const events: string[] = [];
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: LIVE_RELOAD_PATH }, resolve).on('error', reject);
    });
    assert.equal(stream.headers['content-type'], 'text/event-stream');
    stream.setEncoding('utf8').on('data', (chunk: string) => events.push(chunk));
    const reloads = (): number => events.join('').split('data: reload').length - 1;
    const until = async (check: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(check(), what);
    };
    await until(() => events.join('').includes('retry: 1000'), 'the stream opened');
    fs.mkdirSync(path.join(site, 'node_modules'));
    fs.writeFileSync(path.join(site, 'node_modules', 'dep.js'), 'x');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(reloads(), 0, 'a change under node_modules reloads nothing');
    fs.writeFileSync(path.join(site, 'style.css'), 'h1 { color: blue }');
    await until(() => reloads() === 1, 'one reload for a saved stylesheet');
    stream.destroy();
  });
});
