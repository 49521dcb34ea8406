import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { pino } from 'pino';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { loadConfig } from '../../src/config.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { TEMPLATES_DIR } from '../helpers/memory-repls.js';

const MiB = 1024 * 1024;

/**
 * A full server as an API client meets it, on the real portal with the runtime and store doubles
 * (MemoryRuntime, MemoryStore): a capacity of 1000 MiB and a 400 MiB estimate admit two starts
 * (each counts the estimate while it settles), the third answers 503 with Retry-After and its place.
 */
describe('a full server (API, MemoryRuntime double)', () => {
  let codeyard: Codeyard<MemoryRuntime>;
  let token: string;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-full-'));
  const call = (method: InjectOptions['method'], url: string, auth = token) => codeyard.portal.app.inject({ method, url, headers: { authorization: `Bearer ${auth}` } });

  before(async () => {
    const config = loadConfig({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      CODEYARD_DATA: dataDir,
      CODEYARD_TEMPLATES: TEMPLATES_DIR,
      CODEYARD_WARM_POOL: '0',
      // The API as anonymous mode serves it (sign-in has its own tests: auth-*.test.ts).
      CODEYARD_AUTH: 'anonymous',
      CODEYARD_CAPACITY_MEMORY_MB: '1000',
      CODEYARD_REPL_MEMORY_ESTIMATE_MB: '400',
      CODEYARD_MAX_RUNNING_PER_ACCOUNT: '10',
    });
    codeyard = await createCodeyard(config, { store: new MemoryStore(), runtime: () => new MemoryRuntime(), log: pino({ level: 'silent' }) });
    token = (await codeyard.portal.app.inject({ method: 'POST', url: '/api/session' })).json<{ token: string }>().token;
  });
  after(async () => {
    await codeyard.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After and the place in line, keeps the repl in line, and shows it to the admin', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await codeyard.portal.app.inject({ method: 'POST', url: '/api/repls', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ stack: 'node' }) });
      assert.equal(res.statusCode, 201, res.body);
      ids.push(res.json<{ id: string }>().id);
    }
    assert.equal((await call('POST', `/api/repls/${ids[0]}/start`)).statusCode, 200);
    assert.equal((await call('POST', `/api/repls/${ids[1]}/start`)).statusCode, 200);

    const full = await call('POST', `/api/repls/${ids[2]}/start`);
    assert.equal(full.statusCode, 503, full.body);
    assert.equal(full.headers['retry-after'], '5');
    const error = full.json().error;
    assert.equal(error.code, 'SERVER_FULL');
    assert.match(error.message, /this server is full: your repl is #1 in line .* starts by itself when room appears/);
    assert.deepEqual(error.details, { position: 1, queued: 1, retryAfterSeconds: 5 });
    const second = await call('POST', `/api/repls/${ids[3]}/start`);
    assert.equal(second.json().error.details.position, 2);
    assert.equal(second.headers['retry-after'], '10');

    assert.deepEqual((await call('GET', `/api/repls/${ids[2]}`)).json().queue, { position: 1, of: 2 });
    // The Run button on a queued repl: the same answer, not a second place.
    const run = await call('POST', `/api/repls/${ids[2]}/app/start`);
    assert.equal(run.statusCode, 503, run.body);
    assert.equal(run.json().error.details.position, 1);

    const server = await call('GET', '/api/admin/server', codeyard.adminToken);
    assert.equal(server.statusCode, 200, server.body);
    const body = server.json();
    assert.equal(body.capacity.memoryBytes, 1000 * MiB);
    assert.equal(body.capacity.source, 'configured');
    assert.equal(body.use.startFits, false);
    assert.deepEqual(body.queue.map((q: { replId: string; position: number }) => [q.replId, q.position]), [[ids[2], 1], [ids[3], 2]]);
    assert.deepEqual(body.repls.map((r: { id: string }) => r.id).sort(), [ids[0], ids[1]].sort());
    for (const r of body.repls) {
      assert.ok(r.owner.length > 0);
      assert.equal(r.usage.memoryBytes, 200 * MiB, 'the double reports 200 MiB per running repl');
    }

    const usage = (await call('GET', '/api/usage')).json();
    assert.deepEqual(Object.keys(usage).sort(), [ids[0], ids[1]].sort());

    // Stopping a queued repl takes it out of the line.
    assert.equal((await call('POST', `/api/repls/${ids[2]}/stop`)).statusCode, 200);
    assert.deepEqual((await call('GET', `/api/repls/${ids[3]}`)).json().queue, { position: 1, of: 1 });
  });

  it("shows no other account's repls, and the usage route needs an account", async () => {
    const other = (await codeyard.portal.app.inject({ method: 'POST', url: '/api/session' })).json<{ token: string }>().token;
    assert.deepEqual((await call('GET', '/api/usage', other)).json(), {});
    const anonymous = await codeyard.portal.app.inject({ method: 'GET', url: '/api/usage' });
    assert.equal(anonymous.statusCode, 401);
  });
});
