import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReplView } from '../src/repls/repl-service.js';
import { request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * Requests another site can make a visitor's browser send: a plain HTML form (text/plain,
 * urlencoded or multipart, no preflight, cookies attached, Origin set by the browser).
 */
describe('cross-site requests that would change state', { timeout: 120_000 }, () => {
  let t: TestPortal;
  let token: string;
  const evil = 'http://evil.example';
  before(async () => {
    t = await startTestPortal();
    token = await t.newToken();
  });
  after(() => t?.close());
  const portalOrigin = () => `http://localhost:${t.port}`;

  it('a cross-site form cannot create or replace a session', async () => {
    const form = await request(t.port, { method: 'POST', path: '/api/session', headers: { origin: evil, cookie: `codeyard_token=${token}`, 'content-type': 'text/plain' }, body: 'a=b' });
    assert.ok(form.status === 403 || form.status === 415, `refused, got ${form.status}`);
    assert.equal(form.headers['set-cookie'], undefined, 'the visitor keeps their session');
    const noBody = await request(t.port, { method: 'POST', path: '/api/session', headers: { origin: evil, cookie: `codeyard_token=${token}` } });
    assert.equal(noBody.status, 403);
    assert.equal(noBody.json().error.code, 'FORBIDDEN');
    assert.match(noBody.json().error.message, /Origin http:\/\/evil\.example/);
    assert.equal(noBody.headers['set-cookie'], undefined);
    const fetchMetadata = await request(t.port, { method: 'POST', path: '/api/session', headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(fetchMetadata.status, 403, 'a browser that sends only Sec-Fetch-Site is held to it too');
    // The portal's own page, and a client that is not a browser, still get one.
    assert.equal((await request(t.port, { method: 'POST', path: '/api/session', headers: { origin: portalOrigin() } })).status, 201);
    assert.equal((await request(t.port, { method: 'POST', path: '/api/session' })).status, 201);
  });

  it('every cookie-authenticated change needs the portal origin', async () => {
    const json = { 'content-type': 'application/json', cookie: `codeyard_token=${token}` };
    const create = (headers: Record<string, string>) => request(t.port, { method: 'POST', path: '/api/repls', headers: { ...json, ...headers }, body: '{"stack":"node"}' });
    assert.equal((await create({ origin: evil })).status, 403);
    assert.equal((await create({ origin: 'null' })).status, 403, 'an opaque origin (sandboxed frame, data: URL) is not ours');
    assert.equal((await create({})).status, 403, 'a cookie-authenticated change without Origin');
    const ok = await create({ origin: portalOrigin() });
    assert.equal(ok.status, 201);
    const id = ok.json<ReplView>().id;
    const del = await request(t.port, { method: 'DELETE', path: `/api/repls/${id}`, headers: { cookie: `codeyard_token=${token}`, origin: evil } });
    assert.equal(del.status, 403);
  });

  it('answers 415, naming the type, to a body type the API does not document', async () => {
    const post = (p: string, type: string, body: string) => request(t.port, { method: 'POST', path: p, headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
    for (const [p, type, body] of [
      ['/api/repls', 'text/plain', '{"stack":"node"}'],
      ['/api/repls', 'application/x-www-form-urlencoded', 'stack=node'],
      ['/api/repls', 'multipart/form-data; boundary=x', '--x--'],
      ['/api/session', 'text/plain', 'x'],
      ['/api/repls/import?stack=node', 'text/plain', 'not an archive'],
    ] as const) {
      const res = await post(p, type, body);
      assert.equal(res.status, 415, `${p} ${type}`);
      assert.equal(res.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.ok(res.json().error.message.includes(type.split(';')[0]!), `the message names ${type}: ${res.json().error.message}`);
    }
    const repls = (await t.api(token, 'GET', '/api/repls')).json<ReplView[]>();
    assert.deepEqual(repls.map((r) => r.id).length, 1, 'nothing was created by a refused request');
  });
});
