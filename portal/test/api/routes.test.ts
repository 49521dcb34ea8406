import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { REPL_ID_PATTERN } from '@codeyard/common/repl-id';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import type { ReplView } from '../../src/repls/repl-record.js';
import { MEMORY_EXEC_MARK, MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { freePort } from '../helpers/http.js';
import { TEMPLATES_DIR } from '../helpers/memory-repls.js';

/**
 * The HTTP API as a client meets it, on the real portal (createCodeyard) with the runtime and
 * store doubles and SQLite in a temporary folder, called through Fastify's inject (the event
 * stream through a real listening port): milliseconds per call. The real-runtime integration
 * tests (platform, malformed-input, …) keep covering the same routes with real sandboxes.
 */
describe('HTTP API routes (MemoryRuntime, MemoryStore, SQLite)', () => {
  let codeyard: Codeyard<MemoryRuntime>;
  let port: number;
  let origin: string;
  let alice: string;
  let bob: string;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-routes-'));

  /** One call as `token` (none: anonymous); a body object is sent as JSON. */
  const call = (token: string | undefined, method: InjectOptions['method'], url: string, body?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    codeyard.portal.app.inject({
      method,
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body === undefined ? {} : { payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
    });

  /** Asserts an error answer: its status, code and (when given) what its message says. */
  const assertError = (res: LightMyRequestResponse, status: number, code: string, message?: RegExp, what = ''): void => {
    assert.equal(res.statusCode, status, `${what} ${res.body}`);
    assert.equal(res.json().error.code, code, `${what} ${res.body}`);
    if (message) assert.match(res.json().error.message, message, what);
  };

  const newRepl = async (token: string, body: unknown = { stack: 'node' }): Promise<ReplView> => {
    const res = await call(token, 'POST', '/api/repls', body);
    assert.equal(res.statusCode, 201, res.body);
    return res.json<ReplView>();
  };

  before(async () => {
    port = await freePort();
    const config = loadConfig({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      CODEYARD_DATA: dataDir,
      CODEYARD_TEMPLATES: TEMPLATES_DIR,
      CODEYARD_WARM_POOL: '0',
      // The API as anonymous mode serves it (sign-in has its own tests: auth-*.test.ts).
      CODEYARD_AUTH: 'anonymous',
      CODEYARD_MAX_FILE_MB: '1',
      CODEYARD_MAX_REPLS_PER_ACCOUNT: '4',
      CODEYARD_MAX_RUNNING_PER_ACCOUNT: '1',
    });
    codeyard = await createCodeyard(config, { runtime: () => new MemoryRuntime(), store: new MemoryStore(), signingKey: Buffer.alloc(32, 3), log: pino({ level: 'silent' }) });
    origin = codeyard.portal.origin;
    const session = async (): Promise<string> => (await call(undefined, 'POST', '/api/session')).json<{ token: string }>().token;
    alice = await session();
    bob = await session();
  });
  after(async () => {
    await codeyard?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe('POST /api/session', () => {
    it('makes an account: a token, and the same token as a host-only HttpOnly cookie', async () => {
      const res = await call(undefined, 'POST', '/api/session');
      assert.equal(res.statusCode, 201, res.body);
      const { token } = res.json<{ token: string }>();
      assert.ok(token.length >= 32);
      const cookie = String(res.headers['set-cookie']);
      assert.ok(cookie.startsWith(`codeyard_token=${token};`), cookie);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      assert.match(cookie, /Path=\//);
      assert.doesNotMatch(cookie, /Domain=/i);
      assert.equal((await call(token, 'GET', '/api/repls')).statusCode, 200, 'the token signs in');
    });

    it("refuses a page of another origin (it would replace the visitor's session)", async () => {
      assertError(await call(undefined, 'POST', '/api/session', undefined, { origin: 'http://evil.example.com' }), 403, 'FORBIDDEN', /cross-origin/);
      assertError(await call(undefined, 'POST', '/api/session', undefined, { 'sec-fetch-site': 'cross-site' }), 403, 'FORBIDDEN');
      assert.equal((await call(undefined, 'POST', '/api/session', undefined, { origin })).statusCode, 201);
    });
  });

  describe('who may call', () => {
    it('answers 401 without a token, or with one that is not valid, saying how to get one', async () => {
      for (const token of [undefined, 'garbage', `cy_${'x'.repeat(43)}`]) {
        for (const [method, url] of [['GET', '/api/repls'], ['POST', '/api/repls'], ['GET', '/api/stacks'], ['GET', '/api/events']] as const) {
          assertError(await call(token, method, url, method === 'POST' ? { stack: 'node' } : undefined), 401, 'UNAUTHENTICATED', /POST \/api\/session/, `${method} ${url} (${token})`);
        }
      }
    });

    it("lets the portal cookie change things only from the portal's own pages (403 otherwise)", async () => {
      const cookie = { cookie: `codeyard_token=${alice}` };
      assert.equal((await call(undefined, 'GET', '/api/repls', undefined, cookie)).statusCode, 200, 'a read needs no Origin');
      const body = { stack: 'node', name: 'by cookie' };
      for (const foreign of ['http://evil.example.com', 'http://abcdefghijkl-3000.localhost:' + port, 'null']) {
        assertError(await call(undefined, 'POST', '/api/repls', body, { ...cookie, origin: foreign }), 403, 'FORBIDDEN', /cross-origin/, foreign);
      }
      assertError(await call(undefined, 'POST', '/api/repls', body, cookie), 403, 'FORBIDDEN', /without an Origin/);
      const created = await call(undefined, 'POST', '/api/repls', body, { ...cookie, origin });
      assert.equal(created.statusCode, 201, created.body);
      assert.equal((await call(alice, 'GET', '/api/repls')).json<ReplView[]>().filter((r) => r.name === 'by cookie').length, 1, 'only the allowed call made a repl');
      assert.equal((await call(alice, 'DELETE', `/api/repls/${created.json<ReplView>().id}`)).statusCode, 204);
    });
  });

  describe('repls', () => {
    it('creates, lists (newest first), gets, renames and deletes a repl', async () => {
      const first = await newRepl(alice, { stack: 'node', name: 'first' });
      assert.match(first.id, REPL_ID_PATTERN);
      assert.equal(first.name, 'first');
      assert.equal(first.stack, 'node');
      assert.equal(first.status, 'stopped');
      assert.equal(first.ideUrl, `http://${first.id}.localhost:${port}/`);
      assert.equal(first.previewUrl, `http://${first.id}-3000.localhost:${port}/`);
      await new Promise((r) => setTimeout(r, 3));
      const second = await newRepl(alice, { stack: 'python' });
      assert.match(second.name, /^[a-z]+-[a-z]+$/, 'named by the portal: two words');
      const listed = (await call(alice, 'GET', '/api/repls')).json<ReplView[]>().map((r) => r.id);
      assert.deepEqual(listed.slice(0, 2), [second.id, first.id]);
      assert.deepEqual((await call(alice, 'GET', `/api/repls/${first.id}`)).json<ReplView>().name, 'first');

      const renamed = await call(alice, 'PATCH', `/api/repls/${first.id}`, { name: 'renamed' });
      assert.equal(renamed.statusCode, 200, renamed.body);
      assert.equal(renamed.json<ReplView>().name, 'renamed');
      assert.equal((await call(alice, 'GET', `/api/repls/${first.id}`)).json<ReplView>().name, 'renamed');

      for (const repl of [first, second]) {
        const deleted = await call(alice, 'DELETE', `/api/repls/${repl.id}`);
        assert.equal(deleted.statusCode, 204, deleted.body);
        assertError(await call(alice, 'GET', `/api/repls/${repl.id}`), 404, 'NOT_FOUND');
      }
      const left = (await call(alice, 'GET', '/api/repls')).json<ReplView[]>().map((r) => r.id);
      assert.ok(!left.includes(first.id) && !left.includes(second.id));
    });

    it('forks a repl with its files into a new one of the same account', async () => {
      const source = await newRepl(alice);
      assert.equal((await call(alice, 'PUT', `/api/repls/${source.id}/files/kept.txt`, 'kept')).statusCode, 201);
      const fork = await call(alice, 'POST', `/api/repls/${source.id}/fork`, { name: 'the fork' });
      assert.equal(fork.statusCode, 201, fork.body);
      const forked = fork.json<ReplView>();
      assert.equal(forked.name, 'the fork');
      assert.equal(forked.forkOf, source.id);
      assert.equal((await call(alice, 'GET', `/api/repls/${forked.id}/files/kept.txt`)).body, 'kept');
      for (const id of [source.id, forked.id]) assert.equal((await call(alice, 'DELETE', `/api/repls/${id}`)).statusCode, 204);
    });

    it('starts and stops a repl, and runs a command only while it runs', async () => {
      const repl = await newRepl(alice);
      assertError(await call(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: 'ls' }), 409, 'NOT_RUNNING');
      const started = await call(alice, 'POST', `/api/repls/${repl.id}/start`);
      assert.equal(started.statusCode, 200, started.body);
      assert.equal(started.json<ReplView>().status, 'running');
      assert.equal((await call(alice, 'GET', `/api/repls/${repl.id}`)).json<ReplView>().status, 'running');
      const exec = await call(alice, 'POST', `/api/repls/${repl.id}/exec`, { command: 'ls' });
      assert.equal(exec.statusCode, 200, exec.body);
      assert.ok(exec.json<{ stdout: string }>().stdout.startsWith(MEMORY_EXEC_MARK));

      // The running limit is 1 here: a second repl waits its turn, told why.
      const second = await newRepl(alice);
      assertError(await call(alice, 'POST', `/api/repls/${second.id}/start`), 409, 'LIMIT_REACHED', /running limit/);
      // A repl asked for to be started at once is not made at all; the answer names what runs.
      const count = (await call(alice, 'GET', '/api/repls')).json<ReplView[]>().length;
      const atOnce = await call(alice, 'POST', '/api/repls', { stack: 'node', start: true });
      assertError(atOnce, 409, 'LIMIT_REACHED', /running limit/);
      assert.deepEqual(atOnce.json().error.details, { limit: 'running', max: 1, running: [{ id: repl.id, name: repl.name }] });
      assert.equal((await call(alice, 'GET', '/api/repls')).json<ReplView[]>().length, count);
      assert.deepEqual((await call(alice, 'GET', '/api/me')).json().limits, { repls: 4, running: 1 });

      const stopped = await call(alice, 'POST', `/api/repls/${repl.id}/stop`);
      assert.equal(stopped.statusCode, 200, stopped.body);
      assert.equal(stopped.json<ReplView>().status, 'stopped');
      assert.equal((await call(alice, 'POST', `/api/repls/${second.id}/start`)).statusCode, 200);
      for (const id of [repl.id, second.id]) assert.equal((await call(alice, 'DELETE', `/api/repls/${id}`)).statusCode, 204);
    });

    it('refuses one repl over the repl limit (409), naming the limit', async () => {
      const account = (await call(undefined, 'POST', '/api/session')).json<{ token: string }>().token;
      for (let i = 0; i < 4; i++) await newRepl(account);
      assertError(await call(account, 'POST', '/api/repls', { stack: 'node' }), 409, 'LIMIT_REACHED', /the repl limit/);
      assert.equal((await call(account, 'GET', '/api/repls')).json<ReplView[]>().length, 4);
    });

    it('sets who may open a preview port, and shows it on the repl', async () => {
      const repl = await newRepl(alice);
      const set = await call(alice, 'PATCH', `/api/repls/${repl.id}/ports/5000`, { visibility: 'public' });
      assert.equal(set.statusCode, 200, set.body);
      assert.deepEqual(set.json(), { port: 5000, visibility: 'public' });
      assert.equal((await call(alice, 'PATCH', `/api/repls/${repl.id}/ports/3000`, { visibility: 'private' })).statusCode, 200);
      const ports = (await call(alice, 'GET', `/api/repls/${repl.id}`)).json<ReplView>().ports;
      assert.deepEqual(ports, [
        { port: 3000, visibility: 'private', url: `http://${repl.id}-3000.localhost:${port}/` },
        { port: 5000, visibility: 'public', url: `http://${repl.id}-5000.localhost:${port}/` },
      ]);
      const record = (await codeyard.portal.repls.record(repl.id))!;
      assert.equal(codeyard.portal.repls.isPublic(record, 5000), true, 'what the proxy asks');
      assert.equal(codeyard.portal.repls.isPublic(record, 3000), false);
      assert.equal((await call(alice, 'DELETE', `/api/repls/${repl.id}`)).statusCode, 204);
    });
  });

  describe('files', () => {
    let repl: ReplView;
    before(async () => {
      repl = await newRepl(alice);
    });
    after(() => call(alice, 'DELETE', `/api/repls/${repl.id}`));

    it('writes (201, then 200), reads, lists and deletes the files of a stopped repl', async () => {
      const put = await call(alice, 'PUT', `/api/repls/${repl.id}/files/notes/todo.txt`, 'written while stopped', { 'content-type': 'text/plain' });
      assert.equal(put.statusCode, 201, put.body);
      assert.deepEqual(put.json(), { path: 'notes/todo.txt', created: true });
      const again = await call(alice, 'PUT', `/api/repls/${repl.id}/files/notes/todo.txt`, Buffer.from([0, 1, 2, 255]), { 'content-type': 'application/octet-stream' });
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().created, false);
      const read = await call(alice, 'GET', `/api/repls/${repl.id}/files/notes/todo.txt`);
      assert.equal(read.statusCode, 200);
      assert.deepEqual(read.rawPayload, Buffer.from([0, 1, 2, 255]), 'bytes as written');
      assert.equal(read.headers['content-type'], 'application/octet-stream');
      assert.equal(read.headers['x-content-type-options'], 'nosniff');
      const names = (await call(alice, 'GET', `/api/repls/${repl.id}/files?dir=`)).json<Array<{ name: string; type: string }>>();
      assert.deepEqual(names.map((e) => `${e.name}:${e.type}`), ['index.js:file', 'jsconfig.json:file', 'notes:directory', 'package.json:file']);
      assert.deepEqual((await call(alice, 'GET', `/api/repls/${repl.id}/files?dir=notes`)).json<Array<{ name: string }>>().map((e) => e.name), ['todo.txt']);
      assert.equal((await call(alice, 'DELETE', `/api/repls/${repl.id}/files/notes/todo.txt`)).statusCode, 204);
      assertError(await call(alice, 'GET', `/api/repls/${repl.id}/files/notes/todo.txt`), 404, 'NOT_FOUND');
    });

    it('refuses paths that leave the workspace (400 INVALID_PATH)', async () => {
      const cases: Array<[InjectOptions['method'], string, RegExp]> = [
        ['GET', '/files/..%2F..%2F..%2Fetc%2Fpasswd', /\.\./],
        ['GET', '/files/%2Fetc%2Fpasswd', /relative/],
        ['GET', '/files?dir=../..', /\.\./],
        ['PUT', '/files/..%2Fescaped.txt', /\.\./],
        ['PUT', '/files/a%00b', /NUL/],
        ['PUT', '/files/a%5C..%5Cb', /backslash/],
        ['DELETE', '/files/..%2Findex.js', /\.\./],
      ];
      for (const [method, p, message] of cases) {
        assertError(await call(alice, method, `/api/repls/${repl.id}${p}`, method === 'PUT' ? 'x' : undefined), 400, 'INVALID_PATH', message, `${method} ${p}`);
      }
      assert.equal((await call(alice, 'GET', `/api/repls/${repl.id}/files/index.js`)).statusCode, 200, 'the workspace is intact');
    });

    it('refuses a file over the size limit (413) and keeps nothing of it', async () => {
      const res = await call(alice, 'PUT', `/api/repls/${repl.id}/files/big.bin`, Buffer.alloc(1024 * 1024 + 1, 0x61), { 'content-type': 'application/octet-stream' });
      assertError(res, 413, 'PAYLOAD_TOO_LARGE');
      assertError(await call(alice, 'GET', `/api/repls/${repl.id}/files/big.bin`), 404, 'NOT_FOUND');
      assert.equal((await call(alice, 'PUT', `/api/repls/${repl.id}/files/fits.bin`, Buffer.alloc(1024 * 1024, 0x61), { 'content-type': 'application/octet-stream' })).statusCode, 201, 'the limit itself fits');
    });
  });

  describe('bad input', () => {
    let repl: ReplView;
    before(async () => {
      repl = await newRepl(alice, { stack: 'node', name: 'kept as is' });
    });
    after(() => call(alice, 'DELETE', `/api/repls/${repl.id}`));

    it('answers malformed JSON with 400 INVALID_JSON', async () => {
      for (const [method, url] of [['POST', '/api/repls'], ['PATCH', `/api/repls/${repl.id}`]] as const) {
        assertError(await call(alice, method, url, '{"stack": "node"', { 'content-type': 'application/json' }), 400, 'INVALID_JSON', /not valid JSON/, url);
      }
    });

    it('answers an unknown field with 400 VALIDATION naming it, and changes nothing', async () => {
      assertError(await call(alice, 'POST', '/api/repls', { stack: 'node', colour: 'red' }), 400, 'VALIDATION', /additional properties: unknown field "colour"/);
      assertError(await call(alice, 'PATCH', `/api/repls/${repl.id}`, { name: 'new', admin: true }), 400, 'VALIDATION', /unknown field "admin"/);
      assertError(await call(alice, 'PATCH', `/api/repls/${repl.id}/ports/5000`, { visibility: 'public', to: 'all' }), 400, 'VALIDATION', /unknown field "to"/);
      assertError(await call(alice, 'POST', `/api/repls/${repl.id}/ide-link`, { port: 5000, host: 'evil.example.com' }), 400, 'VALIDATION', /unknown field "host"/);
      assertError(await call(alice, 'POST', '/api/repls', {}), 400, 'VALIDATION', /stack/);
      assertError(await call(alice, 'POST', '/api/repls', { stack: 'node', name: 'x'.repeat(65) }), 400, 'VALIDATION', /name/);
      assertError(await call(alice, 'GET', '/api/repls/NOT-AN-ID'), 400, 'VALIDATION', /id/);
      const now = (await call(alice, 'GET', `/api/repls/${repl.id}`)).json<ReplView>();
      assert.equal(now.name, 'kept as is');
      assert.deepEqual(now.ports.map((p) => p.port), [3000]);
    });

    it('answers an unknown stack with 400 UNKNOWN_STACK naming the known ones', async () => {
      assertError(await call(alice, 'POST', '/api/repls', { stack: 'cobol' }), 400, 'UNKNOWN_STACK', /unknown stack "cobol"; known stacks: .*node/);
    });

    it('answers a body that is not JSON with 415 (a cross-site form cannot reach a route)', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        assertError(await call(alice, 'POST', '/api/repls', '{"stack":"node"}', { 'content-type': type }), 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/json/, type);
      }
      assertError(await call(alice, 'PATCH', `/api/repls/${repl.id}`, '{"name":"plain"}', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      assert.equal((await call(alice, 'GET', `/api/repls/${repl.id}`)).json<ReplView>().name, 'kept as is');
    });

    it('answers an unknown route with a 404 of the same shape', async () => {
      assertError(await call(alice, 'GET', '/api/nothing-here'), 404, 'NOT_FOUND', /no route GET \/api\/nothing-here/);
    });
  });

  it("answers every route of another account's repl with 404, and changes nothing of it", async () => {
    const repl = await newRepl(alice, { stack: 'node', name: 'private' });
    const routes: Array<[InjectOptions['method'], string, unknown?]> = [
      ['GET', ''],
      ['PATCH', '', { name: 'stolen' }],
      ['DELETE', ''],
      ['POST', '/start'],
      ['POST', '/stop'],
      ['POST', '/fork', {}],
      ['POST', '/ide-link', {}],
      ['GET', '/app'],
      ['POST', '/app/start'],
      ['POST', '/app/restart'],
      ['POST', '/app/stop'],
      ['POST', '/exec', { command: 'id' }],
      ['GET', '/archive'],
      ['GET', '/files?dir='],
      ['GET', '/files/index.js'],
      ['PUT', '/files/index.js', 'overwritten'],
      ['DELETE', '/files/index.js'],
      ['PATCH', '/ports/5000', { visibility: 'public' }],
    ];
    for (const [method, suffix, body] of routes) {
      assertError(await call(bob, method, `/api/repls/${repl.id}${suffix}`, body), 404, 'NOT_FOUND', /no repl/, `${method} ${suffix}`);
    }
    assert.deepEqual((await call(bob, 'GET', '/api/repls')).json(), []);
    const now = (await call(alice, 'GET', `/api/repls/${repl.id}`)).json<ReplView>();
    assert.equal(now.name, 'private');
    assert.equal(now.status, 'stopped');
    assert.deepEqual(now.ports.map((p) => `${p.port}:${p.visibility}`), ['3000:public']);
    assert.notEqual((await call(alice, 'GET', `/api/repls/${repl.id}/files/index.js`)).body, 'overwritten');
    assert.equal((await call(alice, 'DELETE', `/api/repls/${repl.id}`)).statusCode, 204);
  });

  it("streams an account's own repl changes as server-sent events, and no one else's", async () => {
    await codeyard.listen(port, '127.0.0.1');
    const stream = async (token: string): Promise<{ text: () => string; until: (pattern: RegExp) => Promise<void>; close: () => void }> => {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/events', headers: { authorization: `Bearer ${token}`, host: `localhost:${port}` } });
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] ?? '', /^text\/event-stream/);
      let text = '';
      const waiters: Array<() => void> = [];
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        for (const wake of waiters.splice(0)) wake();
      });
      res.on('error', () => undefined);
      return {
        text: () => text,
        async until(pattern) {
          const deadline = Date.now() + 2000;
          while (!pattern.test(text)) {
            if (Date.now() > deadline) throw new Error(`no ${pattern} in the stream within 2 s: ${text}`);
            await new Promise<void>((resolve) => {
              waiters.push(resolve);
              setTimeout(resolve, 50);
            });
          }
        },
        close: () => req.destroy(),
      };
    };
    const mine = await stream(alice);
    const theirs = await stream(bob);
    try {
      await mine.until(/: live/);
      const repl = await newRepl(alice, { stack: 'node', name: 'streamed' });
      await mine.until(new RegExp(`event: repl\\ndata: \\{"id":"${repl.id}"[^\\n]*"name":"streamed"`));
      assert.equal((await call(alice, 'DELETE', `/api/repls/${repl.id}`)).statusCode, 204);
      await mine.until(new RegExp(`event: deleted\\ndata: \\{"id":"${repl.id}"\\}`));
      // Bob's own change comes after Alice's: by then his stream would have carried hers.
      const own = await newRepl(bob, { stack: 'node', name: 'bobs' });
      await theirs.until(/"name":"bobs"/);
      assert.doesNotMatch(theirs.text(), new RegExp(repl.id));
      assert.equal((await call(bob, 'DELETE', `/api/repls/${own.id}`)).statusCode, 204);
    } finally {
      mine.close();
      theirs.close();
    }
  });

});
