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

/**
 * The routes' schemas (TypeBox, from @codeyard/common/api) as a client meets them, on a portal
 * with the runtime double: what they refuse, the error shape, and the OpenAPI document.
 */
describe('API schemas', () => {
  let codeyard: Codeyard<MemoryRuntime>;
  let token: string;
  let replId: string;
  // The store is in memory; the data folder stays empty.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-api-'));
  const call = (options: InjectOptions) => codeyard.portal.app.inject({ ...options, headers: { authorization: `Bearer ${token}`, ...options.headers } });

  before(async () => {
    codeyard = await createCodeyard(loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, CODEYARD_DATA: dataDir, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'anonymous' }), { runtime: () => new MemoryRuntime(), store: new MemoryStore(), signingKey: Buffer.alloc(32, 1), log: pino({ level: 'silent' }) });
    token = (await codeyard.portal.app.inject({ method: 'POST', url: '/api/session' })).json<{ token: string }>().token;
    const created = await call({ method: 'POST', url: '/api/repls', payload: { stack: 'node', name: 'schemas' } });
    assert.equal(created.statusCode, 201, created.body);
    replId = created.json<{ id: string }>().id;
  });
  after(async () => {
    await codeyard?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers with the Repl model, serialized by its schema', async () => {
    const repl = (await call({ method: 'GET', url: `/api/repls/${replId}` })).json();
    assert.equal(repl.name, 'schemas');
    assert.equal(repl.status, 'stopped');
    assert.deepEqual(repl.app, { running: false });
    assert.equal(repl.sync.state, 'stored');
  });

  it('refuses unknown fields, wrong types and bad ids with a VALIDATION error naming the field', async () => {
    const cases: [InjectOptions, RegExp][] = [
      [{ method: 'POST', url: '/api/repls', payload: { stack: 'node', colour: 'red' } }, /additional properties/],
      [{ method: 'PATCH', url: `/api/repls/${replId}`, payload: { name: '' } }, /name/],
      [{ method: 'PATCH', url: `/api/repls/${replId}/ports/70000`, payload: { visibility: 'public' } }, /port/],
      [{ method: 'PATCH', url: `/api/repls/${replId}/ports/3000`, payload: { visibility: 'everyone' } }, /visibility/],
      [{ method: 'POST', url: `/api/repls/${replId}/exec`, payload: { command: 'ls', timeoutMs: 'soon' } }, /timeoutMs/],
      [{ method: 'GET', url: `/api/repls/${replId}/archive?format=rar` }, /format/],
      [{ method: 'GET', url: '/api/repls/NOT-AN-ID' }, /id/],
    ];
    for (const [request, field] of cases) {
      const res = await call(request);
      assert.equal(res.statusCode, 400, `${request.method} ${request.url}: ${res.body}`);
      assert.equal(res.json().error.code, 'VALIDATION');
      assert.match(res.json().error.message, field);
    }
    // Nothing was changed by the refused rename.
    assert.equal((await call({ method: 'GET', url: `/api/repls/${replId}` })).json().name, 'schemas');
  });

  it('takes a fork or an IDE link with no body, a null body or an empty object', async () => {
    for (const payload of [undefined, 'null', {}]) {
      const res = await call({ method: 'POST', url: `/api/repls/${replId}/ide-link`, ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }) });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(res.json().url, /\/_codeyard\/auth\?ticket=/);
    }
    // `bar: false` (the desktop app): VS Code without the Codeyard bar, the workspace still opened.
    const alone = await call({ method: 'POST', url: `/api/repls/${replId}/ide-link`, payload: { bar: false }, headers: { 'content-type': 'application/json' } });
    const next = new URL(alone.json().url).searchParams.get('next') ?? '';
    assert.match(next, /^\/\?folder=.*&codeyard-bar=off$/);
    const wrong = await call({ method: 'POST', url: `/api/repls/${replId}/ide-link`, payload: { bar: 'no' }, headers: { 'content-type': 'application/json' } });
    assert.equal(wrong.statusCode, 400, wrong.body);
    assert.match(wrong.json().error.message, /bar/);
  });

  it('documents every route with the shared models by name', async () => {
    const doc = (await codeyard.portal.app.inject('/api/openapi.json')).json();
    assert.deepEqual(Object.keys(doc.components.schemas).sort(), ['AppState', 'Error', 'ExecResult', 'FileEntry', 'Repl', 'Runtime', 'Server', 'Stack', 'SyncStatus', 'Usage']);
    assert.equal(doc.paths['/api/repls/{id}'].get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/Repl');
    assert.equal(doc.paths['/api/repls'].post.requestBody.content['application/json'].schema.additionalProperties, false);
    const logs = doc.paths['/api/repls/{id}/app/logs'].get;
    assert.ok(logs.parameters.some((p: { in: string; name: string }) => p.in === 'query' && p.name === 'follow'), 'the app log is an HTTP route too, with ?follow');
  });
});
