import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPL_ID_PATTERN } from '@codeyard/common/repl-id';
import type { ReplView } from '../src/repls/repl-service.js';
import { eventually, openWebSocket, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * The whole core path with real parts: portal + proxy on one port, the process runtime,
 * real code-server on a unix socket, the real agent, the fs store. One node repl goes
 * through create → IDE → files → Run → preview → crash → stop → start → delete.
 */
describe('core platform, end to end', { timeout: 600_000 }, () => {
  let t: TestPortal;
  let alice: string;
  let bob: string;
  let repl: ReplView;
  let ideHost: string;
  let previewHost: string;
  let ideCookie: string;

  before(async () => {
    t = await startTestPortal();
    alice = await t.newToken();
    bob = await t.newToken();
  });
  after(async () => {
    await t?.close();
  });

  /** Exchanges a fresh ide-link ticket for the host cookie; answers the Cookie header value. */
  async function signIn(id: string, port?: number): Promise<string> {
    const link = (await t.api(alice, 'POST', `/api/repls/${id}/ide-link`, port ? { port } : {})).json<{ url: string }>().url;
    const url = new URL(link);
    const res = await request(t.port, { host: url.host, path: url.pathname + url.search });
    assert.equal(res.status, 302, res.body);
    const setCookie = String(res.headers['set-cookie']);
    return setCookie.split(';')[0]!;
  }

  it('documents the API in an OpenAPI document', async () => {
    const res = await request(t.port, { path: '/api/openapi.json' });
    assert.equal(res.status, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\./);
    for (const route of ['/api/session', '/api/stacks', '/api/repls', '/api/repls/{id}', '/api/repls/{id}/start', '/api/repls/{id}/stop', '/api/repls/{id}/app', '/api/repls/{id}/app/start', '/api/repls/{id}/app/stop', '/api/repls/{id}/exec', '/api/repls/{id}/ide-link', '/api/repls/{id}/files']) {
      assert.ok(doc.paths[route], `${route} is documented`);
    }
    assert.ok(doc.components.schemas.Repl ?? doc.components.schemas['def-2'], 'schemas are shared');
  });

  it('keeps its secrets: a 0600 signing key, and account tokens only as hashes', async () => {
    assert.equal(fs.statSync(path.join(t.dataDir, 'secrets', 'signing.key')).mode & 0o777, 0o600);
    const stored = await t.portal.database.db.selectFrom('legacy_tokens').selectAll().execute();
    assert.ok(stored.length >= 2);
    for (const row of stored) assert.match(row.token_hash, /^[0-9a-f]{64}$/);
    const everything = fs.readdirSync(t.dataDir, { recursive: true }).join('\n');
    assert.equal(everything.includes(alice), false, 'no raw token in any name');
    // The database file and its write-ahead log, byte for byte: the token is in neither.
    for (const file of fs.readdirSync(t.dataDir).filter((name) => name.startsWith('codeyard.db'))) {
      assert.equal(fs.readFileSync(path.join(t.dataDir, file)).includes(alice.slice(3)), false, `no raw token in ${file}`);
    }
  });

  it('lists the stacks, with the node stack available', async () => {
    const res = await t.api(alice, 'GET', '/api/stacks');
    assert.equal(res.status, 200);
    const node = res.json<Array<{ id: string; available: boolean }>>().find((s) => s.id === 'node');
    assert.equal(node?.available, true);
  });

  it('creates a node repl that belongs to its account alone', async () => {
    const res = await t.api(alice, 'POST', '/api/repls', { stack: 'node', name: 'My first repl' });
    assert.equal(res.status, 201, res.body);
    repl = res.json<ReplView>();
    assert.match(repl.id, REPL_ID_PATTERN);
    assert.equal(repl.status, 'stopped');
    assert.equal(repl.name, 'My first repl');
    ideHost = `${repl.id}.localhost:${t.port}`;
    previewHost = `${repl.id}-3000.localhost:${t.port}`;
    assert.equal(repl.ideUrl, `http://${ideHost}/`);
    assert.equal(repl.previewUrl, `http://${previewHost}/`);
    assert.deepEqual((await t.api(alice, 'GET', '/api/repls')).json<ReplView[]>().map((r) => r.id), [repl.id]);

    // Another account sees nothing of it, and every call answers as if it did not exist.
    assert.deepEqual((await t.api(bob, 'GET', '/api/repls')).json(), []);
    for (const [method, p, body] of [
      ['GET', `/api/repls/${repl.id}`],
      ['POST', `/api/repls/${repl.id}/start`],
      ['POST', `/api/repls/${repl.id}/app/start`],
      ['GET', `/api/repls/${repl.id}/files?dir=`],
      ['GET', `/api/repls/${repl.id}/files/index.js`],
      ['POST', `/api/repls/${repl.id}/exec`, { command: 'id' }],
      ['POST', `/api/repls/${repl.id}/ide-link`, {}],
      ['DELETE', `/api/repls/${repl.id}`],
    ] as Array<[string, string, unknown?]>) {
      const res = await t.api(bob, method, p, body);
      assert.equal(res.status, 404, `${method} ${p}: ${res.body}`);
      assert.equal(res.json().error.code, 'NOT_FOUND');
    }
  });

  it('answers bad input with a clear 4xx', async () => {
    const cases: Array<[string, string, unknown, number, string, RegExp]> = [
      ['POST', '/api/repls', { stack: 'cobol' }, 400, 'UNKNOWN_STACK', /unknown stack "cobol"; known stacks: .*node/],
      ['POST', '/api/repls', '{"stack": "node"', 400, 'INVALID_JSON', /not valid JSON/],
      ['POST', '/api/repls', {}, 400, 'VALIDATION', /stack/],
      ['POST', '/api/repls', { stack: 'node', extra: 1 }, 400, 'VALIDATION', /additional properties/],
      ['POST', '/api/repls', { stack: 'node', name: 'x'.repeat(100) }, 400, 'VALIDATION', /name/],
      ['GET', '/api/repls/zzzzzzzzzzzz', undefined, 404, 'NOT_FOUND', /no repl/],
      ['GET', '/api/repls/NOT-AN-ID', undefined, 400, 'VALIDATION', /id/],
      ['GET', `/api/repls/${repl.id}/files/..%2F..%2F..%2Fetc%2Fpasswd`, undefined, 400, 'INVALID_PATH', /\.\./],
      ['GET', `/api/repls/${repl.id}/files/%2e%2e/%2e%2e/etc/passwd`, undefined, 400, 'INVALID_PATH', /\.\./],
      ['GET', `/api/repls/${repl.id}/files/%2Fetc%2Fpasswd`, undefined, 400, 'INVALID_PATH', /relative/],
      ['GET', `/api/repls/${repl.id}/files?dir=../..`, undefined, 400, 'INVALID_PATH', /\.\./],
      ['PUT', `/api/repls/${repl.id}/files/a%00b`, 'x', 400, 'INVALID_PATH', /NUL/],
      ['POST', `/api/repls/${repl.id}/exec`, { command: 'true', timeoutMs: 0 }, 400, 'VALIDATION', /timeoutMs/],
    ];
    for (const [method, p, body, status, code, message] of cases) {
      const res = await t.api(alice, method, p, body);
      assert.equal(res.status, status, `${method} ${p}: ${res.body}`);
      assert.equal(res.json().error.code, code, `${method} ${p}: ${res.body}`);
      assert.match(res.json().error.message, message, `${method} ${p}`);
    }
    assert.equal((await t.api(undefined, 'GET', '/api/repls')).status, 401);
    assert.equal((await t.api('cy_' + 'x'.repeat(43), 'GET', '/api/repls')).status, 401);
    assert.equal((await t.api('garbage', 'GET', '/api/repls')).status, 401);
    // Cookie-authenticated changes must come from the portal's own origin.
    const crossSite = await request(t.port, { method: 'POST', path: '/api/repls', headers: { cookie: `codeyard_token=${alice}`, origin: `http://${previewHost}`, 'content-type': 'application/json' }, body: '{"stack":"node"}' });
    assert.equal(crossSite.status, 403);
    // Routing follows Host alone: a forged X-Forwarded-Host does not move a request to a repl.
    const forged = await request(t.port, { path: '/', headers: { 'x-forwarded-host': `${repl.id}.localhost:${t.port}`, accept: 'text/html' } });
    assert.equal(forged.status, 200);
    assert.match(forged.body, /<codeyard-app>/, 'the portal page, not the IDE');
    // Hosts we do not serve.
    assert.equal((await request(t.port, { host: 'evil.example.com', path: '/' })).status, 421);
    assert.equal((await request(t.port, { host: `localhost.evil.com`, path: '/api/stacks', headers: { authorization: `Bearer ${alice}` } })).status, 421);
    assert.equal((await request(t.port, { host: `nope.localhost:${t.port}`, path: '/' })).status, 404);
    assert.equal((await request(t.port, { host: `zzzzzzzzzzzz.localhost:${t.port}`, path: '/' })).status, 404);
  });

  it('edits files of a stopped repl in the store', async () => {
    const put = await t.api(alice, 'PUT', `/api/repls/${repl.id}/files/notes/todo.txt`, 'written while stopped');
    assert.equal(put.status, 201, put.body);
    const names = (await t.api(alice, 'GET', `/api/repls/${repl.id}/files?dir=`)).json<Array<{ name: string; type: string }>>();
    assert.deepEqual(names.map((e) => `${e.name}:${e.type}`), ['index.js:file', 'jsconfig.json:file', 'notes:directory', 'package.json:file']);
    assert.equal((await t.api(alice, 'GET', `/api/repls/${repl.id}/files/notes/todo.txt`)).body, 'written while stopped');
  });

  it('refuses an oversized upload and keeps nothing of it', async () => {
    const big = Buffer.alloc(16 * 1024 * 1024 + 1, 0x61);
    const res = await request(t.port, { method: 'PUT', path: `/api/repls/${repl.id}/files/big.bin`, headers: { authorization: `Bearer ${alice}` }, body: big });
    assert.equal(res.status, 413);
    assert.equal(res.json().error.code, 'PAYLOAD_TOO_LARGE');
    assert.equal((await t.api(alice, 'GET', `/api/repls/${repl.id}/files/big.bin`)).status, 404);
  });

  it('starts, with code-server and the agent up', async () => {
    const res = await t.api(alice, 'POST', `/api/repls/${repl.id}/start`);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json<ReplView>().status, 'running');
    // The files restored from the store are in the live workspace.
    const cat = (await t.api(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: 'cat notes/todo.txt && pwd' })).json();
    assert.equal(cat.exitCode, 0);
    assert.match(cat.stdout, /^written while stopped/);
  });

  it('lets only the owner into the IDE, by a single-use ticket that becomes a host-only cookie', async () => {
    // No cookie: a browser is sent to the portal to sign in, an API client gets 401.
    const anonymous = await request(t.port, { host: ideHost, path: '/', headers: { accept: 'text/html' } });
    assert.equal(anonymous.status, 302);
    assert.equal(anonymous.headers.location, `http://localhost:${t.port}/open/${repl.id}`);
    assert.equal((await request(t.port, { host: ideHost, path: '/' })).status, 401);

    const link = new URL((await t.api(alice, 'POST', `/api/repls/${repl.id}/ide-link`)).json<{ url: string }>().url);
    assert.equal(link.host, ideHost);
    const redeem = await request(t.port, { host: link.host, path: link.pathname + link.search });
    assert.equal(redeem.status, 302);
    assert.match(String(redeem.headers.location), /^\/\?folder=.*payload=.*openFile.*index\.js/);
    const setCookie = String(redeem.headers['set-cookie']);
    assert.match(setCookie, /^codeyard_host=/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Lax/);
    assert.doesNotMatch(setCookie, /Domain=/i, 'never scoped to the parent domain');
    ideCookie = setCookie.split(';')[0]!;

    // The same ticket does not work twice, nor on another host, nor forged.
    assert.equal((await request(t.port, { host: link.host, path: link.pathname + link.search })).status, 403);
    const other = new URL((await t.api(alice, 'POST', `/api/repls/${repl.id}/ide-link`)).json<{ url: string }>().url);
    assert.equal((await request(t.port, { host: previewHost, path: other.pathname + other.search })).status, 403);
    const ticket = other.searchParams.get('ticket')!;
    assert.equal((await request(t.port, { host: ideHost, path: `/_codeyard/auth?ticket=${ticket.slice(0, -2)}xx` })).status, 403);

    // With the cookie, the workbench comes from code-server, through the proxy.
    const workbench = await request(t.port, { host: ideHost, path: String(redeem.headers.location), headers: { cookie: ideCookie, accept: 'text/html' } });
    assert.equal(workbench.status, 200);
    assert.match(workbench.body, /vscode-workbench-web-configuration/);

    // The cookie of this repl's host is worth nothing on another repl's host.
    const second = (await t.api(alice, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    const foreign = await request(t.port, { host: `${second.id}.localhost:${t.port}`, path: '/', headers: { cookie: ideCookie } });
    assert.equal(foreign.status, 401);
    assert.equal((await t.api(alice, 'DELETE', `/api/repls/${second.id}`)).status, 204);
  });

  it('carries WebSocket upgrades to code-server for the owner, from the same origin only', async () => {
    const wsPath = `/?reconnectionToken=${crypto.randomUUID()}&reconnection=false&skipWebSocketFrames=false`;
    const origin = `http://${ideHost}`;
    const ok = await openWebSocket(t.port, { host: ideHost, path: wsPath, headers: { cookie: ideCookie, origin } });
    assert.equal(ok.status, 101, 'code-server accepted the upgrade through the proxy');
    ok.ws?.terminate();
    assert.equal((await openWebSocket(t.port, { host: ideHost, path: wsPath, headers: { cookie: ideCookie, origin: 'http://evil.example.com' } })).status, 403);
    assert.equal((await openWebSocket(t.port, { host: ideHost, path: wsPath, headers: { origin } })).status, 401);
  });

  it('writes through the files API into the live workspace', async () => {
    assert.equal((await t.api(alice, 'PUT', `/api/repls/${repl.id}/files/src/hello.txt`, 'live edit')).status, 201);
    const onDisk = fs.readFileSync(path.join(t.dataDir, 'repls', repl.id, 'workspace', 'src', 'hello.txt'), 'utf8');
    assert.equal(onDisk, 'live edit');
    const exec = (await t.api(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: 'cat src/hello.txt' })).json();
    assert.equal(exec.stdout, 'live edit');
    // A symlink planted in the workspace cannot lead the files API out of it.
    await t.api(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: 'ln -s /run/codeyard/agent.json leak' });
    const leak = await t.api(alice, 'GET', `/api/repls/${repl.id}/files/leak`);
    assert.equal(leak.status, 403, leak.body);
    assert.equal((await t.api(alice, 'DELETE', `/api/repls/${repl.id}/files/leak`)).status, 204);
  });

  it('runs the app, serves it at the preview URL and streams its logs', async () => {
    const logs = await openWebSocket(t.port, { host: `localhost:${t.port}`, path: `/api/repls/${repl.id}/app/logs`, headers: { authorization: `Bearer ${alice}` } });
    assert.equal(logs.status, 101);
    const received: string[] = [];
    logs.ws!.on('message', (data) => received.push(data.toString()));

    const started = await t.api(alice, 'POST', `/api/repls/${repl.id}/app/start`);
    assert.equal(started.status, 200);
    assert.equal(started.json().running, true);
    const page = await eventually(async () => {
      const res = await request(t.port, { host: previewHost, path: '/hello' });
      return res.status === 200 && res;
    }, 'the app to answer');
    assert.match(page.body, /Hello from Node\.js v\d+/);
    assert.match(page.body, /<code>\/hello<\/code>/);
    const app = (await t.api(alice, 'GET', `/api/repls/${repl.id}/app`)).json();
    assert.equal(app.running, true);
    assert.match(app.startedAt, /^\d{4}-/);
    await eventually(async () => received.some((f) => f.includes('listening on')), 'the log line on the WebSocket');
    logs.ws!.terminate();

    // Nobody else's token opens the log stream.
    assert.equal((await openWebSocket(t.port, { host: `localhost:${t.port}`, path: `/api/repls/${repl.id}/app/logs`, headers: { authorization: `Bearer ${bob}` } })).status, 404);
    assert.equal((await openWebSocket(t.port, { host: `localhost:${t.port}`, path: `/api/repls/${repl.id}/app/logs`, headers: { cookie: `codeyard_token=${alice}`, origin: 'http://evil.example.com' } })).status, 403);
  });

  it('strips its own credentials and forwarding headers before the app sees the request', async () => {
    await t.api(alice, 'POST', `/api/repls/${repl.id}/app/stop`);
    // The app becomes a server that answers with the headers it received.
    const echo = `require('http').createServer((q, s) => s.end(JSON.stringify(q.headers))).listen(3000, '0.0.0.0')`;
    await t.api(alice, 'PUT', `/api/repls/${repl.id}/files/index.js`, echo);
    await t.api(alice, 'POST', `/api/repls/${repl.id}/app/start`);
    const res = await eventually(async () => {
      const r = await request(t.port, {
        host: previewHost,
        path: '/',
        headers: { authorization: 'Bearer secret', cookie: `${ideCookie}; app=kept`, 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.com', forwarded: 'for=6.6.6.6' },
      });
      return r.status === 200 && r;
    }, 'the echo app');
    const seen = res.json<Record<string, string>>();
    assert.equal(seen.authorization, undefined);
    assert.equal(seen.cookie, 'app=kept');
    assert.equal(seen.forwarded, undefined);
    assert.equal(seen['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen['x-forwarded-host'], previewHost);
    assert.equal(seen.host, previewHost);
  });

  it('makes a preview private: only the owner, through a ticket, may open it', async () => {
    assert.equal((await t.api(bob, 'PATCH', `/api/repls/${repl.id}/ports/3000`, { visibility: 'private' })).status, 404);
    assert.equal((await t.api(alice, 'PATCH', `/api/repls/${repl.id}/ports/3000`, { visibility: 'secret' })).status, 400);
    const set = await t.api(alice, 'PATCH', `/api/repls/${repl.id}/ports/3000`, { visibility: 'private' });
    assert.deepEqual(set.json(), { port: 3000, visibility: 'private' });
    assert.deepEqual((await t.api(alice, 'GET', `/api/repls/${repl.id}`)).json<ReplView>().ports, [{ port: 3000, visibility: 'private', url: `http://${previewHost}/` }]);

    assert.equal((await request(t.port, { host: previewHost, path: '/' })).status, 401);
    const browser = await request(t.port, { host: previewHost, path: '/', headers: { accept: 'text/html' } });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.location, `http://localhost:${t.port}/open/${repl.id}?port=3000`);
    // The IDE cookie is for the IDE host only; the preview needs its own ticket.
    assert.equal((await request(t.port, { host: previewHost, path: '/', headers: { cookie: ideCookie } })).status, 401);
    const cookie = await signIn(repl.id, 3000);
    assert.equal((await request(t.port, { host: previewHost, path: '/', headers: { cookie } })).status, 200);

    await t.api(alice, 'PATCH', `/api/repls/${repl.id}/ports/3000`, { visibility: 'public' });
    assert.equal((await request(t.port, { host: previewHost, path: '/' })).status, 200);
  });

  it('stops the app and says so at the preview URL', async () => {
    await eventually(async () => (await request(t.port, { host: previewHost, path: '/' })).status === 200, 'app up');
    const stopped = await t.api(alice, 'POST', `/api/repls/${repl.id}/app/stop`);
    assert.equal(stopped.json().running, false);
    assert.equal(stopped.json().stopped, true);
    const down = await request(t.port, { host: previewHost, path: '/' });
    assert.equal(down.status, 502);
    assert.match(down.body, /Nothing is listening on port 3000/);
  });

  it('brings VS Code back after code-server crashes, files untouched', async () => {
    // Killed from inside the repl, as a crash would: the agent restarts it in the same sandbox.
    const pidOf = async (): Promise<string> => (await t.api(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: "pgrep -o -f 'out/node/entr[y]'" })).json().stdout.trim();
    const before = await pidOf();
    assert.match(before, /^\d+$/);
    await t.api(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: "pkill -9 -f 'out/node/entr[y]'" });
    await eventually(async () => {
      const res = await request(t.port, { host: ideHost, path: '/healthz', headers: { cookie: ideCookie } });
      const now = await pidOf();
      return res.status === 200 && /^\d+$/.test(now) && now !== before;
    }, 'a new code-server to answer', 30_000);
    assert.equal((await t.api(alice, 'GET', `/api/repls/${repl.id}/files/src/hello.txt`)).body, 'live edit');
    assert.equal((await t.api(alice, 'GET', `/api/repls/${repl.id}`)).json<ReplView>().status, 'running');
  });

  it('reaches a server started outside Run (as from a terminal) at its own preview URL', async () => {
    // setsid: the server leaves exec's process group, like one started in a VS Code terminal.
    await t.api(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: 'setsid python3 -m http.server 3001 --bind 0.0.0.0 >/dev/null 2>&1 < /dev/null & sleep 0.5' });
    // Only the declared app port is public by default (port-visibility.integration.test.ts).
    await t.api(alice, 'PATCH', `/api/repls/${repl.id}/ports/3001`, { visibility: 'public' });
    const res = await eventually(async () => {
      const r = await request(t.port, { host: `${repl.id}-3001.localhost:${t.port}`, path: '/' });
      return r.status === 200 && r;
    }, 'the terminal server');
    assert.match(res.body, /Directory listing/);
    await t.api(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: "pkill -f 'http.serve[r] 3001'" });
  });

  it('saves files on stop and restores them on start', async () => {
    const stopped = await t.api(alice, 'POST', `/api/repls/${repl.id}/stop`);
    assert.equal(stopped.json<ReplView>().status, 'stopped');
    assert.equal(fs.existsSync(path.join(t.dataDir, 'repls', repl.id, 'workspace')), false, 'the local copy is gone after saving');
    assert.equal((await t.workspaces.readFile(`workspaces/${repl.id}/`, 'src/hello.txt')).toString(), 'live edit');
    assert.equal(stopped.json<ReplView>().sync.state, 'stored');
    assert.equal((await t.api(alice, 'GET', `/api/repls/${repl.id}/files/src/hello.txt`)).body, 'live edit');

    const started = await t.api(alice, 'POST', `/api/repls/${repl.id}/start`);
    assert.equal(started.json<ReplView>().status, 'running');
    const sync = started.json<ReplView>().sync;
    assert.ok(sync.state === 'synced' && 'version' in sync && sync.version >= 2 && sync.lastSyncAt, `restored and in sync: ${JSON.stringify(sync)}`);
    const exec = (await t.api(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: 'cat src/hello.txt notes/todo.txt' })).json();
    assert.equal(exec.stdout, 'live editwritten while stopped');
  });

  it('wakes a stopped repl for its owner, and tells anyone else it is asleep', async () => {
    await t.api(alice, 'POST', `/api/repls/${repl.id}/stop`);
    const visitor = await request(t.port, { host: previewHost, path: '/', headers: { accept: 'text/html' } });
    assert.equal(visitor.status, 503);
    assert.match(visitor.body, /not running/);
    assert.equal(t.runtime.status(repl.id).state, 'stopped', 'a visitor does not wake it');

    const cookie = await signIn(repl.id);
    const starting = await request(t.port, { host: ideHost, path: '/', headers: { cookie, accept: 'text/html' } });
    assert.equal(starting.status, 503);
    assert.match(starting.body, /Starting your repl/);
    await eventually(async () => (await request(t.port, { host: ideHost, path: '/_codeyard/status', headers: { cookie } })).json().status === 'running', 'the repl to wake');
    // code-server answers now: it sends the root to the workspace folder.
    const ide = await request(t.port, { host: ideHost, path: '/', headers: { cookie, accept: 'text/html' } });
    assert.equal(ide.status, 302);
    assert.match(String(ide.headers.location), /folder=/);
  });

  it('deletes the repl: runtime and storage both gone', async () => {
    assert.equal((await t.api(alice, 'DELETE', `/api/repls/${repl.id}`)).status, 204);
    assert.equal((await t.api(alice, 'GET', `/api/repls/${repl.id}`)).status, 404);
    assert.equal(fs.existsSync(path.join(t.dataDir, 'repls', repl.id)), false);
    const left: string[] = [];
    for await (const info of t.store.list('')) if (info.key.includes(repl.id)) left.push(info.key);
    assert.deepEqual(left, []);
    assert.equal((await request(t.port, { host: ideHost, path: '/', headers: { cookie: ideCookie } })).status, 404);
  });
});
