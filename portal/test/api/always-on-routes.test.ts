import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import type { ReplView } from '../../src/repls/repl-record.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { TEMPLATES_DIR } from '../helpers/memory-repls.js';

/**
 * Always on through the HTTP API, on the real portal with the runtime and store doubles
 * (MemoryRuntime, MemoryStore) and SQLite: the owner marks a repl, the account's allowance
 * refuses one more with a 409 naming what uses it, nobody else may mark it, and the admin (only
 * the admin) sets an account's own allowance.
 */
describe('always on: PATCH /api/repls/:id and the admin allowance (MemoryRuntime, SQLite)', () => {
  let codeyard: Codeyard<MemoryRuntime>;
  let alice: string;
  let bob: string;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-always-on-'));

  const call = (token: string | undefined, method: InjectOptions['method'], url: string, body?: unknown): Promise<LightMyRequestResponse> =>
    codeyard.portal.app.inject({ method, url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
  const newRepl = async (token: string, name: string): Promise<ReplView> => {
    const res = await call(token, 'POST', '/api/repls', { stack: 'node', name });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<ReplView>();
  };
  const ownerOf = async (id: string): Promise<string> => (await codeyard.portal.repls.record(id))!.owner;

  before(async () => {
    const config = loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', CODEYARD_DATA: dataDir, CODEYARD_TEMPLATES: TEMPLATES_DIR, CODEYARD_WARM_POOL: '0', CODEYARD_MAX_RUNNING_PER_ACCOUNT: '5', CODEYARD_AUTH: 'anonymous' });
    codeyard = await createCodeyard(config, { runtime: () => new MemoryRuntime(), store: new MemoryStore(), signingKey: Buffer.alloc(32, 5), log: pino({ level: 'silent' }) });
    const session = async (): Promise<string> => (await call(undefined, 'POST', '/api/session')).json<{ token: string }>().token;
    alice = await session();
    bob = await session();
  });
  after(async () => {
    await codeyard?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('marks a repl always on within the allowance (default 1), refuses one more with a 409 naming the one using it, and changes nothing then', async () => {
    const first = await newRepl(alice, 'First');
    const second = await newRepl(alice, 'Second');
    assert.equal(first.alwaysOn, false);
    const on = await call(alice, 'PATCH', `/api/repls/${first.id}`, { alwaysOn: true });
    assert.equal(on.statusCode, 200, on.body);
    assert.equal(on.json<ReplView>().alwaysOn, true);
    assert.equal((await call(alice, 'GET', `/api/repls/${first.id}`)).json<ReplView>().alwaysOn, true);
    // A stopped repl marked always on starts, its app with it (as a visit would wake it).
    for (let i = 0; i < 100 && codeyard.runtime.status(first.id).state !== 'running'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(codeyard.runtime.status(first.id).state, 'running');

    const refused = await call(alice, 'PATCH', `/api/repls/${second.id}`, { alwaysOn: true, name: 'Renamed' });
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().error.code, 'LIMIT_REACHED');
    assert.match(refused.json().error.message, /may keep 1 repl always on .*\(First\).*turn one off first/);
    const after = (await call(alice, 'GET', `/api/repls/${second.id}`)).json<ReplView>();
    assert.equal(after.alwaysOn, false);
    assert.equal(after.name, 'Second', 'a refused change leaves the name as it was too');

    // Turned off, the allowance is free again; asking twice for the same is not an error.
    assert.equal((await call(alice, 'PATCH', `/api/repls/${first.id}`, { alwaysOn: false })).json<ReplView>().alwaysOn, false);
    assert.equal((await call(alice, 'PATCH', `/api/repls/${first.id}`, { alwaysOn: false })).statusCode, 200);
    assert.equal((await call(alice, 'PATCH', `/api/repls/${second.id}`, { alwaysOn: true })).json<ReplView>().alwaysOn, true);
  });

  it('lets nobody else mark a repl (404, as for a repl that does not exist), and names what is wrong in a bad body', async () => {
    const mine = await newRepl(alice, 'Mine');
    const res = await call(bob, 'PATCH', `/api/repls/${mine.id}`, { alwaysOn: true });
    assert.equal(res.statusCode, 404, res.body);
    assert.equal((await call(undefined, 'PATCH', `/api/repls/${mine.id}`, { alwaysOn: true })).statusCode, 401);
    assert.equal((await call(alice, 'GET', `/api/repls/${mine.id}`)).json<ReplView>().alwaysOn, false);
    const empty = await call(alice, 'PATCH', `/api/repls/${mine.id}`, {});
    assert.equal(empty.statusCode, 400, empty.body);
    const wrongType = await call(alice, 'PATCH', `/api/repls/${mine.id}`, { alwaysOn: 'yes' });
    assert.equal(wrongType.statusCode, 400);
    assert.match(wrongType.json().error.message, /alwaysOn/);
  });

  it('takes an allowance the admin sets per account (admin token only), and back to the default with DELETE', async () => {
    const a = await newRepl(bob, 'Bob A');
    const b = await newRepl(bob, 'Bob B');
    const account = await ownerOf(a.id);
    const admin = { authorization: `Bearer ${codeyard.adminToken}`, 'content-type': 'application/json' };
    const put = (body: unknown, headers: Record<string, string> = admin, id = account) =>
      codeyard.portal.app.inject({ method: 'PUT', url: `/api/admin/accounts/${id}/always-on`, headers, payload: JSON.stringify(body) });

    // Bob himself may not raise his own allowance.
    assert.equal((await put({ allowance: 5 }, { authorization: `Bearer ${bob}`, 'content-type': 'application/json' })).statusCode, 403);
    assert.equal((await put({ allowance: -1 })).statusCode, 400);
    assert.equal((await put({ allowance: 2 }, admin, 'u00000000000000000000')).statusCode, 404);

    assert.equal((await call(bob, 'PATCH', `/api/repls/${a.id}`, { alwaysOn: true })).statusCode, 200);
    assert.equal((await call(bob, 'PATCH', `/api/repls/${b.id}`, { alwaysOn: true })).statusCode, 409);
    const raised = await put({ allowance: 2 });
    assert.equal(raised.statusCode, 200, raised.body);
    assert.deepEqual(raised.json(), { account, allowance: 2, override: 2, using: 1 });
    assert.equal((await call(bob, 'PATCH', `/api/repls/${b.id}`, { alwaysOn: true })).statusCode, 200);

    // Zero: none may be turned on (the two on stay on until their owner turns them off).
    assert.deepEqual((await put({ allowance: 0 })).json(), { account, allowance: 0, override: 0, using: 2 });
    assert.equal((await call(bob, 'PATCH', `/api/repls/${b.id}`, { alwaysOn: false })).statusCode, 200);
    const none = await call(bob, 'PATCH', `/api/repls/${b.id}`, { alwaysOn: true });
    assert.equal(none.statusCode, 409);
    assert.match(none.json().error.message, /may keep no repls always on/);
    const reset = await codeyard.portal.app.inject({ method: 'DELETE', url: `/api/admin/accounts/${account}/always-on`, headers: { authorization: `Bearer ${codeyard.adminToken}` } });
    assert.deepEqual(reset.json(), { account, allowance: 1, override: null, using: 1 });
  });
});
