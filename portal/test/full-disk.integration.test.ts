import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReplView } from '../src/repls/repl-service.js';
import { tarGz } from './helpers/archives.js';
import { request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

const QUOTA_MB = 16;

/**
 * The security review's "a workspace filled to its quota cannot start again": the stored files
 * fit the quota (which counts bytes) but not a volume of that size (ext4 keeps part of it, and
 * every small file takes a whole block), so the restore overflowed, retried forever, start
 * never returned and stop did not answer.
 */
describe('a workspace filled to its quota', { timeout: 300_000 }, () => {
  let t: TestPortal;
  let token: string;

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_REPL_NETWORK: 'none', CODEYARD_LIMIT_DISK_MB: String(QUOTA_MB) } });
    token = await t.newToken();
  });
  after(() => t?.close());

  it('starts again, with every file, however its files are laid out', async () => {
    // 14 MB in one file and 2,000 one-byte files: under the 16 MB quota in bytes, ~22 MB in blocks.
    const entries = [{ name: 'big.bin', body: Buffer.alloc(14 * 1024 * 1024, 'x') }];
    for (let i = 0; i < 2000; i++) entries.push({ name: `small/f${String(i).padStart(4, '0')}.txt`, body: Buffer.from(String(i % 10)) });
    const archive = await tarGz(entries);
    const imported = await request(t.port, { method: 'POST', path: '/api/repls/import?stack=node&name=full', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' }, body: archive });
    assert.equal(imported.status, 201, imported.body);
    const repl = imported.json<ReplView>();

    const started = Date.now();
    const start = await t.api(token, 'POST', `/api/repls/${repl.id}/start`);
    assert.equal(start.status, 200, start.body);
    assert.ok(Date.now() - started < 120_000, 'start answers in bounded time');
    const counted = await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'ls small | wc -l; stat -c %s big.bin; cat small/f1999.txt' });
    assert.equal(counted.json().stdout, `2000\n${14 * 1024 * 1024}\n9`);
    const stop = await t.api(token, 'POST', `/api/repls/${repl.id}/stop`);
    assert.equal(stop.status, 200, stop.body);
  });

  it('cuts a start short when stopped, in bounded time, and keeps the stored files', async () => {
    const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'slow start' })).json<ReplView>();
    const starting = t.api(token, 'POST', `/api/repls/${repl.id}/start`);
    // Stop while the start is still under way: it must not wait for the start to finish.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const began = Date.now();
    const stop = await t.api(token, 'POST', `/api/repls/${repl.id}/stop`);
    assert.ok(Date.now() - began < 60_000, `stop answered in ${Date.now() - began} ms`);
    assert.ok([200, 503].includes(stop.status), stop.body);
    await starting;
    const view = (await t.api(token, 'GET', `/api/repls/${repl.id}`)).json<ReplView>();
    assert.equal(view.status, 'stopped', JSON.stringify(view));
    const file = await t.api(token, 'GET', `/api/repls/${repl.id}/files/index.js`);
    assert.equal(file.status, 200, 'the template files are still stored');
  });
});

describe('a start that cannot restore', { timeout: 300_000 }, () => {
  let t: TestPortal;
  let token: string;

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_REPL_NETWORK: 'none' } });
    token = await t.newToken();
  });
  after(() => t?.close());

  it('gives way to a stop at once, and the stored files come back whole', async () => {
    const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'stuck restore' })).json<ReplView>();
    // Fault injection: reads of this repl's stored contents stall (a store that stopped answering).
    const store = t.store as unknown as Record<'get' | 'getStream', (key: string) => Promise<unknown>>;
    const real = { get: store.get, getStream: store.getStream };
    for (const method of ['get', 'getStream'] as const) {
      const original = real[method];
      store[method] = function (this: unknown, key: string) {
        return key.includes(`workspaces/${repl.id}/blobs/`) ? new Promise(() => undefined) : original.call(this, key);
      };
    }
    try {
      const starting = t.api(token, 'POST', `/api/repls/${repl.id}/start`);
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const began = Date.now();
      const stop = await t.api(token, 'POST', `/api/repls/${repl.id}/stop`);
      const took = Date.now() - began;
      assert.ok(took < 20_000, `stop answered in ${took} ms, not once the start gave up`);
      assert.equal(stop.status, 200, stop.body);
      assert.equal(stop.json<ReplView>().status, 'stopped');
      assert.notEqual((await starting).status, 200, 'the start was cut short');
    } finally {
      Object.assign(store, real);
    }
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    const listed = await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'cat package.json >/dev/null && ls' });
    assert.match(listed.json().stdout, /index\.js/, 'the stored files are whole');
  });
});
