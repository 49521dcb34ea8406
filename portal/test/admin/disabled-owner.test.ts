import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GrantSigner } from '@codeyard/common/tickets';
import { HOST_COOKIE } from '@codeyard/proxy/access-policy';
import { freePort, request } from '../helpers/http.js';
import { startTokenPortal, type TokenPortal } from '../tokens/token-portal.js';
import { makeUser, ok, type TestUser } from './admin-portal.js';

/**
 * A disabled account's repl hosts: its host cookie is a signed grant the proxy verifies without
 * the database, so the portal's side refuses what it would do for the owner: wake the repl on a
 * visit, press Run in the Codeyard bar. The real portal and proxy on loopback, SQLite; the
 * runtime and store are the doubles MemoryRuntime and MemoryStore.
 */
describe('a disabled owner on a repl host (SQLite; MemoryRuntime, MemoryStore)', () => {
  let t: TokenPortal;
  let port: number;
  let admin: TestUser;
  let member: TestUser;

  before(async () => {
    t = await startTokenPortal('SQLite');
    port = await freePort();
    await t.codeyard.listen(port, '127.0.0.1');
    admin = await makeUser(t, 'admin');
    member = await makeUser(t, 'member');
  });
  after(async () => t?.close());

  it('neither wakes the repl nor runs its app; the same cookie does both once the account is enabled', async () => {
    const repl = ok<{ id: string }>(await t.call({ bearer: member.token }, 'POST', '/api/repls', { stack: 'node', name: 'asleep' }), 201);
    const host = `${repl.id}.localhost:8080`;
    // The key token-portal.ts gives the portal: a host cookie as the ticket exchange would set it.
    const grant = new GrantSigner(Buffer.alloc(32, 5)).sign({ purpose: 'session', host: `${repl.id}.localhost`, account: member.id, expiresAt: Date.now() + 3600_000 });
    const visit = () => request(port, { host, path: '/', headers: { accept: 'text/html', cookie: `${HOST_COOKIE}=${grant}` } });
    const run = () => request(port, { host, path: '/_codeyard/app/start', method: 'POST', headers: { origin: `http://${host}`, cookie: `${HOST_COOKIE}=${grant}` } });

    ok(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${member.id}`, { disabled: true }));
    await visit();
    const pressed = await run();
    assert.equal(pressed.status, 403, pressed.body);
    assert.match(pressed.body, /disabled/);
    // The visit's check of the owner was asked of the database before Run's (SQLite answers in
    // order), so by Run's 403 the wake was already decided: nothing started.
    assert.equal(t.codeyard.runtime.status(repl.id).state, 'stopped');

    ok(await t.call({ bearer: admin.token }, 'PATCH', `/api/admin/users/${member.id}`, { disabled: false }));
    const started = await run();
    // Run starts the repl, then asks its agent to start the app: the double has no agent (502).
    assert.notEqual(started.status, 403, started.body);
    assert.equal(t.codeyard.runtime.status(repl.id).state, 'running', 'Run starts the repl for an enabled owner');
  });
});
