import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Accounts } from '../src/accounts/accounts.js';
import type { ReplView } from '../src/repls/repl-service.js';
import { eventually, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

describe('rate limits', () => {
  let t: TestPortal;
  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_RATE_SESSIONS_PER_MINUTE: '3', CODEYARD_RATE_TICKETS_PER_MINUTE: '2' } });
  });
  after(() => t?.close());

  it('limits new sessions per client address', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await t.api(undefined, 'POST', '/api/session')).status, 201);
    const limited = await t.api(undefined, 'POST', '/api/session');
    assert.equal(limited.status, 429);
    assert.equal(limited.json().error.code, 'RATE_LIMITED');
    assert.match(String(limited.headers['retry-after']), /^\d+$/);
  });

  it('limits ticket redemptions per client address, valid or not', async () => {
    // This address used up its sessions above: make the account directly in the database.
    const owner = await new Accounts(t.portal.database.accounts).create();
    const repl = (await t.api(owner.token, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    const ideHost = `${repl.id}.localhost:${t.port}`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(t.port, { host: ideHost, path: '/_codeyard/auth?ticket=guess' })).status);
    assert.deepEqual(statuses, [403, 403, 429]);
    // Without CODEYARD_TRUSTED_PROXIES a visitor's own X-Forwarded-For changes nothing.
    const forged = await request(t.port, { host: ideHost, path: '/_codeyard/auth?ticket=guess', headers: { 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(forged.status, 429);
  });

  it('behind a trusted reverse proxy, counts ticket redemptions per visitor (X-Forwarded-For), not per proxy', async () => {
    const behind = await startTestPortal({ env: { CODEYARD_TRUSTED_PROXIES: 'loopback', CODEYARD_RATE_TICKETS_PER_MINUTE: '2' } });
    try {
      const owner = await new Accounts(behind.portal.database.accounts).create();
      const repl = (await behind.api(owner.token, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
      // Header values only: every connection is to loopback, the "proxy" the portal trusts.
      const guess = (visitor: string): Promise<number> =>
        request(behind.port, { host: `${repl.id}.localhost:${behind.port}`, path: '/_codeyard/auth?ticket=guess', headers: { 'x-forwarded-for': visitor } }).then((r) => r.status);
      const first: number[] = [];
      for (let i = 0; i < 3; i++) first.push(await guess('198.51.100.7'));
      assert.deepEqual(first, [403, 403, 429]);
      assert.equal(await guess('198.51.100.8'), 403, 'another visitor behind the same proxy still has their own tries');
    } finally {
      await behind.close();
    }
  });
});

describe('a separate preview domain', { timeout: 120_000 }, () => {
  let t: TestPortal;
  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_PREVIEW_DOMAIN: 'preview.localhost' } });
  });
  after(() => t?.close());

  it('serves apps on the preview domain only, never on the IDE domain', async () => {
    const token = await t.newToken();
    const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    assert.equal(repl.previewUrl, `http://${repl.id}-3000.preview.localhost:${t.port}/`);
    assert.equal(repl.ideUrl, `http://${repl.id}.localhost:${t.port}/`);
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/app/start`)).status, 200);
    const page = await eventually(async () => {
      const res = await request(t.port, { host: `${repl.id}-3000.preview.localhost:${t.port}`, path: '/' });
      return res.status === 200 && res;
    }, 'the app on the preview domain');
    assert.match(page.body, /Hello from Node\.js/);
    assert.equal((await request(t.port, { host: `${repl.id}-3000.localhost:${t.port}`, path: '/' })).status, 404);
    assert.equal((await request(t.port, { host: `${repl.id}.preview.localhost:${t.port}`, path: '/' })).status, 404);
  });
});

describe('per-account limits', { timeout: 120_000 }, () => {
  let t: TestPortal;
  let token: string;
  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_MAX_REPLS_PER_ACCOUNT: '2', CODEYARD_MAX_RUNNING_PER_ACCOUNT: '1', CODEYARD_LIMIT_DISK_MB: '16' } });
    token = await t.newToken();
  });
  after(() => t?.close());

  it('caps how many repls an account has, and how many run at once', async () => {
    const first = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    const second = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    const third = await t.api(token, 'POST', '/api/repls', { stack: 'node' });
    assert.equal(third.status, 409);
    assert.equal(third.json().error.code, 'LIMIT_REACHED');
    assert.match(third.json().error.message, /delete one first/);

    assert.equal((await t.api(token, 'POST', `/api/repls/${first.id}/start`)).status, 200);
    for (const path of [`/api/repls/${second.id}/start`, `/api/repls/${second.id}/app/start`]) {
      const refused = await t.api(token, 'POST', path);
      assert.equal(refused.status, 409, path);
      assert.match(refused.json().error.message, /stop one first/);
    }
    assert.equal((await t.api(token, 'POST', `/api/repls/${first.id}/start`)).status, 200, 'starting a running repl is not one more');
    await t.api(token, 'POST', `/api/repls/${first.id}/stop`);
    assert.equal((await t.api(token, 'POST', `/api/repls/${second.id}/start`)).status, 200);
    await t.api(token, 'POST', `/api/repls/${second.id}/stop`);
  });

  it('holds the stored copy of a stopped workspace to its disk quota', async () => {
    const repl = (await t.api(token, 'GET', '/api/repls')).json<ReplView[]>()[0]!;
    const tenMb = Buffer.alloc(10 * 1024 * 1024, 0x61);
    const put = (name: string) => request(t.port, { method: 'PUT', path: `/api/repls/${repl.id}/files/${name}`, headers: { authorization: `Bearer ${token}` }, body: tenMb });
    assert.equal((await put('a.bin')).status, 201);
    const over = await put('b.bin');
    assert.equal(over.status, 413);
    assert.equal(over.json().error.code, 'QUOTA_EXCEEDED');
    assert.equal((await put('a.bin')).status, 200, 'replacing a file counts its new size only');
    assert.equal((await t.api(token, 'GET', `/api/repls/${repl.id}/files/b.bin`)).status, 404);
  });
});
