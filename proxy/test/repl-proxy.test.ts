import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { parseHost } from '@codeyard/common/hostnames';
import { GrantSigner } from '@codeyard/common/tickets';
import { HOST_COOKIE, type ProxiedRepl, ReplProxy } from '../src/repl-proxy.js';

const ID = 'abcdefgh2345';
const OTHER = 'bbbbbbbb2345';
const OWNER = 'u-owner';

/**
 * The proxy against a real upstream (an HTTP + WebSocket server on a unix socket, standing in
 * for code-server) and a test double of the portal backend: a map of repl records.
 */
describe('ReplProxy', () => {
  const signer = new GrantSigner(randomBytes(32));
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-proxy-')), 'ide.sock');
  const repls = new Map<string, ProxiedRepl>();
  const woken: string[] = [];
  /** What the app-control double was asked: `<repl> <account> <action>`. */
  const pressed: string[] = [];
  let upstream: http.Server;
  let server: http.Server;
  let port: number;
  let proxy: ReplProxy;

  before(async () => {
    upstream = http.createServer((req, res) => res.end(JSON.stringify({ url: req.url, headers: req.headers })));
    const wss = new WebSocketServer({ server: upstream });
    wss.on('connection', (ws) => ws.send('hello from upstream'));
    await new Promise<void>((r) => upstream.listen(socketPath, r));
    const running = (): ProxiedRepl => ({ owner: OWNER, status: 'running', ide: { kind: 'unix', socketPath }, isPublic: () => true });
    repls.set(ID, running());
    repls.set(OTHER, running());
    proxy = new ReplProxy({
      backend: {
        lookup: async (id) => repls.get(id),
        wake: (id) => void woken.push(id),
        // A double of the portal's Run, Restart and Stop app: records the call, answers a state.
        app: async (id, account, action) => {
          pressed.push(`${id} ${account} ${action}`);
          return { app: { running: action === 'start' || action === 'restart' }, previewUrl: `http://${id}-3000.localhost/` };
        },
        name: async () => 'My <repl>',
      },
      signer,
      publicOrigin: { domain: 'localhost', scheme: 'http', port: 0 },
      sessionTtlMs: 60_000,
    });
    server = http.createServer((req, res) => {
      const route = parseHost(req.headers.host, { domain: 'localhost' });
      if (route.kind === 'ide' || route.kind === 'preview') void proxy.handleRequest(req, res, route);
      else res.writeHead(404).end();
    });
    server.on('upgrade', (req, socket, head) => {
      const route = parseHost(req.headers.host, { domain: 'localhost' });
      if (route.kind === 'ide' || route.kind === 'preview') void proxy.handleUpgrade(req, socket, head, route);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => {
    proxy.close();
    server.close();
    server.closeAllConnections();
    upstream.close();
    upstream.closeAllConnections();
  });

  function send(method: string, host: string, p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      http
        .request({ host: '127.0.0.1', port, method, path: p, headers: { host, ...headers }, agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        })
        .on('error', reject)
        .end();
    });
  }
  const get = (host: string, p: string, headers: Record<string, string> = {}) => send('GET', host, p, headers);

  async function cookieFor(id: string, account = OWNER): Promise<string> {
    const host = `${id}.localhost`;
    const ticket = signer.sign({ purpose: 'ticket', host, account, expiresAt: Date.now() + 60_000 });
    const res = await get(host, `/_codeyard/auth?ticket=${ticket}&next=/x`);
    assert.equal(res.status, 302);
    return String(res.headers['set-cookie']).split(';')[0]!;
  }

  it('turns a ticket into a cookie once, and redirects only to a local path', async () => {
    const host = `${ID}.localhost`;
    const ticket = signer.sign({ purpose: 'ticket', host, account: OWNER, expiresAt: Date.now() + 60_000 });
    const first = await get(host, `/_codeyard/auth?ticket=${ticket}&next=//evil.com/`);
    assert.equal(first.status, 302);
    assert.equal(first.headers.location, '/', 'protocol-relative next is not followed');
    assert.match(String(first.headers['set-cookie']), /^codeyard_host=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
    assert.equal((await get(host, `/_codeyard/auth?ticket=${ticket}`)).status, 403, 'replay');
  });

  it('after sign-in, redirects only to a path on this host: tabs, newlines and backslashes cannot leave it', async () => {
    const host = `${ID}.localhost`;
    const redeem = (next: string) => get(host, `/_codeyard/auth?ticket=${signer.sign({ purpose: 'ticket', host, account: OWNER, expiresAt: Date.now() + 60_000 })}&next=${next}`);
    // Browsers strip tab, CR and LF from URLs and read \ as /: each of these would be //evil.com.
    for (const next of ['/%09/evil.com', '/%0a/evil.com', '/%0d%0a/evil.com', '/%5Cevil.com', '/%5C%5Cevil.com', '%2F%2Fevil.com', '/%0d%0aSet-Cookie:%20x=1']) {
      const res = await redeem(next);
      assert.equal(res.status, 302, next);
      assert.equal(res.headers.location, '/', next);
    }
    const kept = await redeem(encodeURIComponent('/a/b?c=1#d'));
    assert.equal(kept.headers.location, '/a/b?c=1#d');
    const unicode = await redeem(encodeURIComponent('/caf\u00e9/\u20ac'));
    assert.equal(unicode.status, 302, 'a non-Latin-1 path is re-encoded, never a 500');
    assert.equal(unicode.headers.location, '/caf%C3%A9/%E2%82%AC');
  });

  it('accepts the host cookie that verifies when a sibling host tossed another of the same name', async () => {
    const mine = await cookieFor(ID);
    // A valid grant, but for the sibling's own host: what a preview can set for the parent domain.
    const tossed = await cookieFor(OTHER);
    const both = await get(`${ID}.localhost`, '/', { cookie: `${tossed}; ${mine}` });
    assert.equal(both.status, 200, 'the tossed cookie, sent first, does not hide ours');
    assert.equal(JSON.parse(both.body).headers.cookie, undefined, 'neither copy reaches the repl');
    assert.equal((await get(`${ID}.localhost`, '/', { cookie: tossed })).status, 401, 'and on its own it proves nothing here');
    assert.equal((await get(`${ID}.localhost`, '/', { cookie: `${HOST_COOKIE}=%E0%A4%A` })).status, 401, 'a malformed encoding is refused, not a 500');
  });

  it('refuses expired tickets, tickets of another host, session cookies used as tickets, and strangers', async () => {
    const host = `${ID}.localhost`;
    const expired = signer.sign({ purpose: 'ticket', host, account: OWNER, expiresAt: Date.now() - 1 });
    assert.match((await get(host, `/_codeyard/auth?ticket=${expired}`)).body, /expired/);
    const elsewhere = signer.sign({ purpose: 'ticket', host: `${OTHER}.localhost`, account: OWNER, expiresAt: Date.now() + 60_000 });
    assert.equal((await get(host, `/_codeyard/auth?ticket=${elsewhere}`)).status, 403);
    const session = signer.sign({ purpose: 'session', host, account: OWNER, expiresAt: Date.now() + 60_000 });
    assert.equal((await get(host, `/_codeyard/auth?ticket=${session}`)).status, 403);
    const stranger = signer.sign({ purpose: 'ticket', host, account: 'u-stranger', expiresAt: Date.now() + 60_000 });
    assert.match((await get(host, `/_codeyard/auth?ticket=${stranger}`)).body, /somebody else/);
  });

  it('forwards the owner to the IDE without the proxy cookie, Authorization or client forwarding headers', async () => {
    const cookie = await cookieFor(ID);
    const res = await get(`${ID}.localhost`, '/some/path?q=1', { cookie: `${cookie}; theirs=1`, authorization: 'Bearer t', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', forwarded: 'for=x' });
    assert.equal(res.status, 200);
    const seen = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/some/path?q=1');
    assert.equal(seen.headers.cookie, 'theirs=1');
    assert.equal(seen.headers.authorization, undefined);
    assert.equal(seen.headers.forwarded, undefined);
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers.host, `${ID}.localhost`);
  });

  it("refuses one repl's cookie on another repl's host", async () => {
    const cookie = await cookieFor(ID);
    assert.equal((await get(`${OTHER}.localhost`, '/', { cookie })).status, 401);
    const browser = await get(`${OTHER}.localhost`, '/', { cookie, accept: 'text/html' });
    assert.equal(browser.status, 302);
    assert.match(String(browser.headers.location), new RegExp(`/open/${OTHER}$`));
  });

  it('answers 404 for an unknown repl and 502 when the upstream is down', async () => {
    assert.equal((await get('zzzzzzzzzzzz.localhost', '/')).status, 404);
    const cookie = await cookieFor(ID);
    repls.set(ID, { ...repls.get(ID)!, ide: { kind: 'unix', socketPath: `${socketPath}.missing` } });
    try {
      const down = await get(`${ID}.localhost`, '/', { cookie });
      assert.equal(down.status, 502);
      assert.match(down.body, /VS Code is not answering/);
    } finally {
      repls.set(ID, { ...repls.get(ID)!, ide: { kind: 'unix', socketPath } });
    }
  });

  it('wakes a stopped repl for its owner only', async () => {
    repls.set(OTHER, { ...repls.get(OTHER)!, status: 'stopped', ide: undefined });
    const stranger = await get(`${OTHER}-3000.localhost`, '/', { accept: 'text/html' });
    assert.equal(stranger.status, 503);
    assert.deepEqual(woken, []);
    const cookie = await cookieFor(OTHER);
    const owner = await get(`${OTHER}.localhost`, '/', { cookie, accept: 'text/html' });
    assert.equal(owner.status, 503);
    assert.match(owner.body, /Starting your repl/);
    assert.deepEqual(woken, [OTHER]);
  });

  it('lets WebSocket upgrades through for the owner from the same origin only', async () => {
    const cookie = await cookieFor(ID);
    const open = (origin: string, withCookie = true) =>
      new Promise<string | number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: `${ID}.localhost`, origin, ...(withCookie ? { cookie } : {}) } });
        ws.once('message', (data) => {
          resolve(data.toString());
          ws.close();
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!));
        ws.once('error', () => resolve(0));
      });
    assert.equal(await open(`http://${ID}.localhost`), 'hello from upstream');
    assert.equal(await open('http://evil.example.com'), 403);
    assert.equal(await open(`http://${OTHER}.localhost`), 403);
    assert.equal(await open(`http://${ID}.localhost`, false), 401);
  });

  it("serves the owner's navigation the Codeyard bar, with VS Code in a frame of the same host", async () => {
    const cookie = await cookieFor(ID);
    const host = `${ID}.localhost`;
    const bar = await get(host, '/?folder=/home/x', { cookie, accept: 'text/html', 'sec-fetch-dest': 'document' });
    assert.equal(bar.status, 200);
    assert.match(bar.body, /<iframe id="codeyard-ide"[^>]* src="\/\?folder=\/home\/x"/);
    assert.match(bar.body, /My &#60;repl&#62;/, 'the name is escaped');
    assert.equal(bar.headers['content-security-policy'], "frame-ancestors 'none'", 'no other site frames the Run button');
    assert.equal(bar.headers['cache-control'], 'no-store');
    const frame = await get(host, '/?folder=/home/x', { cookie, accept: 'text/html', 'sec-fetch-dest': 'iframe' });
    assert.equal(JSON.parse(frame.body).url, '/?folder=/home/x', 'the frame is VS Code itself');
    assert.equal((await get(host, '/', { accept: 'text/html', 'sec-fetch-dest': 'document' })).status, 302, 'a stranger is sent to sign in, not shown a bar');
    const alone = await get(host, '/?folder=/home/x&codeyard-bar=off', { cookie, accept: 'text/html', 'sec-fetch-dest': 'document' });
    assert.equal(JSON.parse(alone.body).url, '/?folder=/home/x&codeyard-bar=off', 'asked for no bar (the desktop app): VS Code itself');
    assert.equal((await get(host, '/?codeyard-bar=off', { accept: 'text/html', 'sec-fetch-dest': 'document' })).status, 302, 'a stranger asking for no bar is still sent to sign in');
  });

  it("answers the bar's Run, Restart, Stop app and state for the owner, and refuses strangers, other sites and wrong verbs", async () => {
    const cookie = await cookieFor(ID);
    const host = `${ID}.localhost`;
    const origin = `http://${host}:8080`;
    pressed.length = 0;
    const state = await get(host, '/_codeyard/app', { cookie });
    assert.equal(state.status, 200);
    assert.deepEqual(JSON.parse(state.body), { app: { running: false }, previewUrl: `http://${ID}-3000.localhost/` });
    const run = await send('POST', host, '/_codeyard/app/start', { cookie, origin });
    assert.equal(run.status, 200);
    assert.equal(JSON.parse(run.body).app.running, true);
    const restart = await send('POST', host, '/_codeyard/app/restart', { cookie, origin });
    assert.equal(restart.status, 200);
    assert.equal(JSON.parse(restart.body).app.running, true);
    assert.equal((await send('POST', host, '/_codeyard/app/stop', { cookie, origin })).status, 200);
    assert.deepEqual(pressed, [`${ID} ${OWNER} state`, `${ID} ${OWNER} start`, `${ID} ${OWNER} restart`, `${ID} ${OWNER} stop`]);

    pressed.length = 0;
    const stranger = await send('POST', host, '/_codeyard/app/start', { origin });
    assert.equal(stranger.status, 401);
    assert.equal(JSON.parse(stranger.body).error.code, 'UNAUTHENTICATED');
    assert.equal((await get(host, '/_codeyard/app')).status, 401, 'nor may a stranger read the state');
    assert.equal((await send('POST', host, '/_codeyard/app/start', { cookie: `${HOST_COOKIE}=${encodeURIComponent(signer.sign({ purpose: 'session', host, account: 'u-stranger', expiresAt: Date.now() + 60_000 }))}`, origin })).status, 401, "another account's cookie for this host");
    assert.equal((await send('POST', `${OTHER}.localhost`, '/_codeyard/app/start', { cookie, origin: `http://${OTHER}.localhost` })).status, 401, "another repl's host");
    assert.equal((await send('POST', host, '/_codeyard/app/start', { cookie, origin: 'http://evil.example' })).status, 403, 'another site');
    assert.equal((await send('POST', host, '/_codeyard/app/start', { cookie })).status, 403, 'no Origin');
    assert.equal((await get(host, '/_codeyard/app/start', { cookie })).status, 405);
    assert.equal((await send('POST', host, '/_codeyard/app/restart', { origin })).status, 401, 'nor restart it');
    assert.equal((await send('POST', host, '/_codeyard/app/restart', { cookie, origin: 'http://evil.example' })).status, 403, 'another site restarting it');
    assert.equal((await send('POST', host, '/_codeyard/app/reboot', { cookie, origin })).status, 404);
    assert.deepEqual(pressed, [], 'none of them reached the repl');
  });
});
