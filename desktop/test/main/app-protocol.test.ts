import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { APP_CSP, createAppHandler } from '../../src/main/app-protocol.js';
import { PortalClient } from '../../src/main/portal-client.js';

const ID = 'abcdefghijkl';

describe('the app protocol (codeyard-app://app/)', () => {
  let upstream: http.Server;
  let origin: string;
  const seen: Array<{ method: string; url: string; authorization?: string; body: string; cookie?: string }> = [];
  const ui = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-desktop-ui-'));
  fs.mkdirSync(path.join(ui, 'assets'));
  fs.writeFileSync(path.join(ui, 'home.html'), '<!doctype html><title>home</title>');
  fs.writeFileSync(path.join(ui, 'assets', 'home.js'), 'export {}');
  fs.writeFileSync(path.join(os.tmpdir(), 'cy-desktop-secret.txt'), 'secret');
  let signedIn = true;
  const opened: string[] = [];
  let handler: (r: Request) => Promise<Response>;

  before(async () => {
    upstream = http.createServer(async (req, res) => {
      let body = '';
      for await (const c of req) body += c;
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body, cookie: req.headers.cookie });
      if (req.url === '/api/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: repl\ndata: {"id":"x"}\n\n');
        return setTimeout(() => res.end(), 20);
      }
      if (req.url === '/api/redirect') return res.writeHead(302, { location: 'https://evil.example/' }).end();
      res.writeHead(req.url === '/api/repls' && req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json', 'set-cookie': 'x=1' });
      res.end(JSON.stringify({ ok: true, url: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const client = new PortalClient({ server: origin, token: () => 'cyp_main_process_only' });
    handler = createAppHandler({ uiDir: ui, current: () => ({ client, signedIn }), onOpen: (id, port) => opened.push(`${id} ${port ?? ''}`.trim()) });
  });
  after(() => new Promise<void>((r) => (upstream.closeAllConnections(), upstream.close(() => r()))));

  const get = (p: string, init?: RequestInit) => handler(new Request(`codeyard-app://app${p}`, init));

  it('serves the pages with their CSP, and nothing outside the UI folder', async () => {
    const home = await get('/');
    assert.equal(home.status, 200);
    assert.equal(home.headers.get('content-security-policy'), APP_CSP);
    assert.match(APP_CSP, /script-src 'self'/);
    assert.doesNotMatch(APP_CSP, /unsafe-inline|unsafe-eval/);
    assert.equal((await get('/assets/home.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
    for (const p of ['/../cy-desktop-secret.txt', '/%2e%2e/cy-desktop-secret.txt', '/assets/..%2f..%2fcy-desktop-secret.txt', '/nothing.html', '/home.html%00.js']) {
      assert.equal((await get(p)).status, 404, p);
    }
    assert.equal((await get('/', { method: 'POST' })).status, 405);
  });

  it('forwards the API with the token added in the main process, and streams the event stream', async () => {
    seen.length = 0;
    const res = await get('/api/repls', { method: 'POST', headers: { 'content-type': 'application/json', cookie: 'stolen=1' }, body: '{"stack":"node"}' });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('set-cookie'), null, 'no cookie from the server reaches the page');
    assert.deepEqual(seen[0], { method: 'POST', url: '/api/repls', authorization: 'Bearer cyp_main_process_only', body: '{"stack":"node"}', cookie: undefined });
    const events = await get('/api/events');
    assert.equal(await events.text(), 'event: repl\ndata: {"id":"x"}\n\n');
    assert.equal((await get('/stacks/node/icon.svg')).status, 200);
  });

  it('never lets a page reach sign-in, tokens or admin routes, or follow a redirect off the origin', async () => {
    seen.length = 0;
    for (const p of ['/api/session', '/api/auth/device', '/api/auth/device/token', '/api/tokens', '/api/tokens/current', '/api/admin/server']) {
      const res = await get(p, { method: 'POST' });
      assert.equal(res.status, 401, p);
    }
    assert.equal(seen.length, 0, 'none of them reached the server');
    assert.equal((await get('/api/redirect')).status, 502);
  });

  it('answers 401 before sign-in, without calling the server', async () => {
    signedIn = false;
    seen.length = 0;
    const res = await get('/api/repls');
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
    assert.equal(seen.length, 0);
    signedIn = true;
  });

  it('turns /open/<id> into a repl window, checking the id and port', async () => {
    assert.equal((await get(`/open/${ID}?port=5173`)).status, 204);
    assert.equal((await get(`/open/${ID}`)).status, 204);
    assert.equal((await get('/open/..%2f')).status, 400);
    assert.equal((await get(`/open/${ID}?port=99999`)).status, 400);
    assert.deepEqual(opened, [`${ID} 5173`, ID]);
  });
});
