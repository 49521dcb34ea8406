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
    // This address used up its sessions above: make the account directly in the store.
    const owner = await new Accounts(t.store).create();
    const repl = (await t.api(owner.token, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    const ideHost = `${repl.id}.localhost:${t.port}`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(t.port, { host: ideHost, path: '/_codeyard/auth?ticket=guess' })).status);
    assert.deepEqual(statuses, [403, 403, 429]);
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
