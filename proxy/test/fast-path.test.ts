import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { parseHost } from '@codeyard/common/hostnames';
import { GrantSigner } from '@codeyard/common/tickets';
import { bodyFraming, parseRequestHead } from '../src/fast-path.js';
import { createFrontServer } from '../src/front.js';
import { HOST_COOKIE, type ProxiedRepl, ReplProxy } from '../src/repl-proxy.js';

const ID = 'abcdefgh2345';
const OWNER = 'u-owner';

describe('request heads, as the fast path reads them', () => {
  it('parses a head and its framing', () => {
    const head = parseRequestHead(Buffer.from('POST /x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc'));
    assert.ok(typeof head === 'object');
    assert.equal(head.method, 'POST');
    assert.equal(head.length, 52);
    assert.deepEqual(bodyFraming(head), { kind: 'length', bytes: 3 });
  });

  it('waits for the rest, and refuses what Node must judge instead', () => {
    assert.equal(parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n')), 'incomplete');
    assert.equal(parseRequestHead(Buffer.from('GET / HTTP/1.1\nHost: a\r\n\r\n')), 'invalid', 'bare LF');
    assert.equal(parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n')), 'invalid', 'obs-fold');
    assert.equal(parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nBad Name: a\r\n\r\n')), 'invalid');
    assert.equal(parseRequestHead(Buffer.from('GET / HTTP/2.0\r\nHost: a\r\n\r\n')), 'invalid');
    assert.equal(parseRequestHead(Buffer.alloc(20_000, 'a')), 'invalid', 'over the head limit');
    const both = parseRequestHead(Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'));
    assert.ok(typeof both === 'object');
    assert.equal(bodyFraming(both), undefined, 'Content-Length with Transfer-Encoding is smuggling, never forwarded');
    const twoLengths = parseRequestHead(Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n'));
    assert.ok(typeof twoLengths === 'object');
    assert.equal(bodyFraming(twoLengths), undefined);
  });
});

/**
 * The fast path against a real upstream that records every request it gets, behind the same
 * front server the portal listens with, and the proxy's full HTTP path behind it.
 */
describe('proxy fast path', () => {
  const signer = new GrantSigner(randomBytes(32));
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; bodyHash: string; bodyLength: number }> = [];
  const repl: ProxiedRepl = { owner: OWNER, status: 'running', isPublic: (port) => port === 3000, ide: undefined, port: undefined };
  let upstream: http.Server;
  let slow: http.Server;
  let front: ReturnType<typeof createFrontServer>;
  let port: number;
  let proxy: ReplProxy;
  const BIG = randomBytes(8 * 1024 * 1024);

  before(async () => {
    upstream = http.createServer((req, res) => {
      const hash = createHash('sha256');
      let length = 0;
      req.on('data', (c: Buffer) => (hash.update(c), (length += c.length)));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, bodyHash: hash.digest('hex'), bodyLength: length });
        if (req.url === '/big') return void res.end(BIG);
        res.end(`you asked for ${req.url}`);
      });
    });
    new WebSocketServer({ server: upstream }).on('connection', (ws, req) => {
      seen.push({ method: 'WS', url: req.url!, headers: req.headers, bodyHash: '', bodyLength: 0 });
      ws.on('message', (data) => ws.send(`echo ${String(data)}`));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const target = { kind: 'tcp' as const, host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port };
    repl.ide = target;
    repl.port = () => target;
    proxy = new ReplProxy({ backend: { lookup: async (id) => (id === ID ? repl : undefined), wake: () => undefined, app: async () => { throw new Error('no app control in this test'); }, name: async () => 'repl' }, signer, publicOrigin: { domain: 'localhost', scheme: 'http', port: 0 }, sessionTtlMs: 60_000 });
    const route = (host: string | undefined) => parseHost(host, { domain: 'localhost' });
    slow = http.createServer((req, res) => {
      const r = route(req.headers.host);
      if (r.kind === 'ide' || r.kind === 'preview') void proxy.handleRequest(req, res, r);
      else res.writeHead(404).end();
    });
    slow.on('upgrade', (req, socket, head) => {
      const r = route(req.headers.host);
      if (r.kind === 'ide' || r.kind === 'preview') void proxy.handleUpgrade(req, socket, head, r);
      else socket.destroy();
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
  after(() => {
    front.closeAll();
    front.close();
    slow.closeAllConnections();
    upstream.closeAllConnections();
    upstream.close();
    proxy.close();
  });

  const ideHost = `${ID}.localhost`;
  const session = (): string => `${HOST_COOKIE}=${encodeURIComponent(signer.sign({ purpose: 'session', host: ideHost, account: OWNER, expiresAt: Date.now() + 60_000 }))}`;

  /** Writes raw bytes on one connection; answers everything read until the server closes or goes quiet. */
  function raw(writes: Array<string | Buffer | (() => Promise<void> | void)>, quietMs = 300): Promise<{ text: string; closed: boolean }> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      let timer: NodeJS.Timeout;
      const done = (closed: boolean): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
      };
      const quiet = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => done(false), quietMs);
      };
      socket.on('data', (c: Buffer) => (chunks.push(c), quiet()));
      socket.on('close', () => done(true));
      socket.on('error', () => undefined);
      socket.on('connect', async () => {
        for (const w of writes) {
          // A function runs between writes on the same connection (changes the world meanwhile).
          if (typeof w === 'function') await w();
          else socket.write(w);
          await new Promise((r) => setTimeout(r, 50));
        }
        quiet();
      });
    });
  }

  it('forwards keep-alive requests without our cookie, Authorization or client forwarding headers', async () => {
    const fastBefore = front.fastConnections();
    seen.length = 0;
    const req = (p: string): string => `GET ${p} HTTP/1.1\r\nHost: ${ideHost}\r\nCookie: theme=dark; ${session()}\r\nAuthorization: Bearer portal-token\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\n\r\n`;
    const out = await raw([req('/one'), req('/two')]);
    assert.match(out.text, /you asked for \/one[\s\S]*you asked for \/two/);
    assert.equal(front.fastConnections(), fastBefore + 1, 'the connection took the fast path');
    assert.deepEqual(seen.map((s) => s.url), ['/one', '/two']);
    for (const s of seen) {
      assert.equal(s.headers.cookie, 'theme=dark');
      assert.equal(s.headers.authorization, undefined);
      assert.equal(s.headers.forwarded, undefined);
      assert.equal(s.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(s.headers['x-forwarded-host'], ideHost);
    }
  });

  it('closes, without forwarding, a later request for another host or without the cookie', async () => {
    seen.length = 0;
    const ok = `GET /first HTTP/1.1\r\nHost: ${ideHost}\r\nCookie: ${session()}\r\n\r\n`;
    let out = await raw([ok, `GET /other HTTP/1.1\r\nHost: zzzzzzzzzzzz.localhost\r\nCookie: ${session()}\r\n\r\n`]);
    assert.ok(out.closed);
    out = await raw([ok, `GET /anonymous HTTP/1.1\r\nHost: ${ideHost}\r\n\r\n`]);
    assert.ok(out.closed);
    out = await raw([ok, `GET /_codeyard/status HTTP/1.1\r\nHost: ${ideHost}\r\nCookie: ${session()}\r\n\r\n`]);
    assert.ok(out.closed);
    out = await raw([ok, `POST /smuggle HTTP/1.1\r\nHost: ${ideHost}\r\nCookie: ${session()}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`]);
    assert.ok(out.closed);
    // A chunk whose data is not followed by CRLF: the framing is off, nothing after it is trusted.
    out = await raw([ok, `POST /bad-chunk HTTP/1.1\r\nHost: ${ideHost}\r\nCookie: ${session()}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\nGET /sneaked HTTP/1.1\r\nHost: ${ideHost}\r\n\r\n`]);
    assert.ok(out.closed);
    assert.ok(!seen.some((s) => s.url === '/sneaked'), 'nothing after broken framing reached the repl');
    assert.deepEqual(seen.filter((s) => s.url !== '/bad-chunk').map((s) => s.url), ['/first', '/first', '/first', '/first', '/first'], 'nothing but the first requests reached the repl');
  });

  it("leaves the owner's top-level navigation to the IDE to the full server (the Codeyard bar), first or later on a connection", async () => {
    seen.length = 0;
    const fastBefore = front.fastConnections();
    const navigate = `GET / HTTP/1.1\r\nHost: ${ideHost}\r\nCookie: ${session()}\r\nAccept: text/html\r\nSec-Fetch-Dest: document\r\n\r\n`;
    const first = await raw([navigate]);
    assert.match(first.text, /^HTTP\/1\.1 200[\s\S]*id="codeyard-bar"/);
    assert.equal(front.fastConnections(), fastBefore, 'the full server answered it');
    const later = await raw([`GET /first HTTP/1.1\r\nHost: ${ideHost}\r\nCookie: ${session()}\r\n\r\n`, navigate]);
    assert.ok(later.closed, 'a navigation on a fast connection is not forwarded: the browser retries it on a new one');
    const frame = await raw([navigate.replace('Sec-Fetch-Dest: document', 'Sec-Fetch-Dest: iframe')]);
    assert.match(frame.text, /you asked for \//, "the bar's frame is VS Code's");
    // Only the frame's request reached VS Code's `/`: the navigation never went through. (`/first`
    // may not have been seen: the connection it came on was closed right behind it.)
    assert.deepEqual(seen.map((s) => s.url).filter((url) => url !== '/first'), ['/']);
  });

  it('decides every request on a kept-alive connection: a port made private stops the next one', async () => {
    seen.length = 0;
    const host = `${ID}-3000.localhost`;
    const req = (p: string): string => `GET ${p} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
    const wasPublic = repl.isPublic;
    try {
      const out = await raw([req('/while-public'), () => void (repl.isPublic = () => false), req('/after-private')]);
      assert.match(out.text, /you asked for \/while-public/);
      assert.doesNotMatch(out.text, /after-private/);
      assert.ok(out.closed, 'the connection was closed instead');
      assert.deepEqual(seen.map((s) => s.url), ['/while-public'], 'the request after the change never reached the app');
    } finally {
      repl.isPublic = wasPublic;
    }
  });

  it('honours a host cookie\'s expiry on a kept-alive connection', async () => {
    seen.length = 0;
    const cookie = `${HOST_COOKIE}=${signer.sign({ purpose: 'session', host: ideHost, account: OWNER, expiresAt: Date.now() + 400 })}`;
    const req = (p: string): string => `GET ${p} HTTP/1.1\r\nHost: ${ideHost}\r\nCookie: ${cookie}\r\n\r\n`;
    const out = await raw([req('/fresh'), () => new Promise((r) => setTimeout(r, 600)), req('/expired')], 1500);
    assert.match(out.text, /you asked for \/fresh/);
    assert.doesNotMatch(out.text, /you asked for \/expired/);
    assert.ok(out.closed);
    assert.deepEqual(seen.map((s) => s.url), ['/fresh']);
  });

  it('leaves whoever it cannot check to the full server', async () => {
    seen.length = 0;
    const fastBefore = front.fastConnections();
    const anonymous = await raw([`GET / HTTP/1.1\r\nHost: ${ideHost}\r\nAccept: application/json\r\n\r\n`]);
    assert.match(anonymous.text, /^HTTP\/1\.1 401/);
    const smuggled = await raw([`POST / HTTP/1.1\r\nHost: ${ID}-3000.localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`]);
    assert.match(smuggled.text, /^HTTP\/1\.1 400/);
    assert.equal(front.fastConnections(), fastBefore);
    assert.deepEqual(seen, []);
  });

  it('carries chunked bodies with trailers and pipelined requests, in order', async () => {
    seen.length = 0;
    const host = `${ID}-3000.localhost`;
    const chunked = `POST /chunked HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n`;
    const next = `GET /after HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
    const out = await raw([chunked + next]);
    assert.match(out.text, /you asked for \/chunked[\s\S]*you asked for \/after/);
    assert.deepEqual(seen.map((s) => [s.url, s.bodyLength]), [['/chunked', 11], ['/after', 0]]);
    assert.equal(seen[0]!.bodyHash, createHash('sha256').update('hello world').digest('hex'));
  });

  it('moves 8 MB each way intact', async () => {
    seen.length = 0;
    const host = `${ID}-3000.localhost`;
    const upload = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/upload', headers: { host, 'content-length': BIG.length } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end(BIG);
    });
    assert.equal(upload, 'you asked for /upload');
    assert.equal(seen[0]!.bodyHash, createHash('sha256').update(BIG).digest('hex'));
    const download = await new Promise<Buffer>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/big', headers: { host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      }).on('error', reject);
    });
    assert.ok(download.equals(BIG));
  });

  it('splices WebSockets for the owner from the same origin, and leaves the rest to the full checks', async () => {
    const open = (headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket }> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/socket`, { headers: { host: ideHost, ...headers } });
        ws.once('open', () => resolve({ status: 101, ws }));
        ws.once('unexpected-response', (_req, res) => (resolve({ status: res.statusCode ?? 0 }), ws.terminate()));
        ws.once('error', () => resolve({ status: 0 }));
      });
    seen.length = 0;
    const fastBefore = front.fastConnections();
    const ok = await open({ cookie: `a=1; ${session()}`, origin: `http://${ideHost}` });
    assert.equal(ok.status, 101);
    const reply = new Promise((resolve) => ok.ws!.once('message', (data) => resolve(String(data))));
    ok.ws!.send('hi');
    assert.equal(await reply, 'echo hi');
    ok.ws!.close();
    assert.equal(front.fastConnections(), fastBefore + 1);
    assert.equal(seen[0]?.headers.cookie, 'a=1', 'our cookie stays behind on upgrades too');
    assert.equal((await open({ cookie: session(), origin: 'http://evil.example' })).status, 403);
    assert.equal((await open({ origin: `http://${ideHost}` })).status, 401);
    assert.equal(seen.length, 1, 'refused upgrades never reached the repl');
  });

  it('answers 502 with a page when the app is not listening', async () => {
    const saved = repl.port;
    repl.port = () => ({ kind: 'tcp', host: '127.0.0.1', port: 1 });
    try {
      const out = await raw([`GET / HTTP/1.1\r\nHost: ${ID}-3000.localhost\r\n\r\n`]);
      assert.match(out.text, /^HTTP\/1\.1 502/);
      assert.match(out.text, /Nothing is listening on port 3000/);
    } finally {
      repl.port = saved;
    }
  });

  it('answers 502 with a page too when a relay takes the connection and closes it unanswered (the agent in front of a port nothing listens on)', async () => {
    const relay = net.createServer((socket) => socket.end());
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const saved = repl.port;
    repl.port = () => ({ kind: 'tcp', host: '127.0.0.1', port: (relay.address() as net.AddressInfo).port });
    try {
      const out = await raw([`GET / HTTP/1.1\r\nHost: ${ID}-3000.localhost\r\n\r\n`]);
      assert.match(out.text, /^HTTP\/1\.1 502/, 'not an empty reply, which a browser shows as its own error');
      assert.match(out.text, /Nothing is listening on port 3000/);
    } finally {
      repl.port = saved;
      relay.close();
    }
  });
});
