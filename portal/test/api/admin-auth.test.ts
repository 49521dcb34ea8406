import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { pino } from 'pino';
import { adminLink, adminTokenFile, loadAdminToken } from '../../src/api/admin-auth.js';
import { type Codeyard, createCodeyard } from '../../src/codeyard.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { TEMPLATES_DIR } from '../helpers/memory-repls.js';

/**
 * The admin credential (api/admin-auth.ts) on the real portal with the runtime and store doubles
 * (MemoryRuntime, MemoryStore): who may NOT reach an admin route (no token, a wrong one, an
 * ordinary account's token, a cookie), on every admin route the portal has; admin accounts and
 * their tokens' scopes are tested in test/admin/admin-access.test.ts.
 */
describe('admin routes: the admin token (admin accounts: test/admin/admin-access.test.ts)', () => {
  let codeyard: Codeyard<MemoryRuntime>;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-admin-'));

  const call = (method: InjectOptions['method'], url: string, headers: Record<string, string> = {}) => codeyard.portal.app.inject({ method, url, headers });

  before(async () => {
    const config = loadConfig({ PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', CODEYARD_DATA: dataDir, CODEYARD_TEMPLATES: TEMPLATES_DIR, CODEYARD_WARM_POOL: '0', CODEYARD_AUTH: 'anonymous' });
    codeyard = await createCodeyard(config, { store: new MemoryStore(), runtime: () => new MemoryRuntime(), log: pino({ level: 'silent' }) });
  });
  after(async () => {
    await codeyard.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates the token once into <data>/admin-token, readable by its owner only, and links to it in the fragment', async () => {
    const file = adminTokenFile(dataDir);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(file, 'utf8').trim(), codeyard.adminToken);
    assert.ok(codeyard.adminToken.length >= 32);
    assert.equal(await loadAdminToken(dataDir), codeyard.adminToken, 'a restart keeps the same token');
    const link = new URL(adminLink('http://localhost:8080', codeyard.adminToken));
    assert.equal(link.pathname, '/admin');
    assert.equal(link.search, '', 'never in the query string, which is sent to the server and logged');
    assert.equal(new URLSearchParams(link.hash.slice(1)).get('token'), codeyard.adminToken);
  });

  it('takes CODEYARD_ADMIN_TOKEN instead, and refuses a short one', async () => {
    const chosen = 'x'.repeat(40);
    assert.equal(await loadAdminToken(dataDir, chosen), chosen);
    assert.throws(() => loadConfig({ CODEYARD_ADMIN_TOKEN: 'short' }), ConfigError);
  });

  it('refuses every admin route without the token or with a wrong one (401), and to an ordinary account (403)', async () => {
    const routes = codeyard.portal.app.adminRoutes;
    assert.ok(routes.length > 0, 'the portal has admin routes');
    const session = await call('POST', '/api/session');
    const accountToken = session.json<{ token: string }>().token;
    for (const route of [...routes, 'GET /api/admin/no-such-route']) {
      const [method, pattern] = route.split(' ') as [InjectOptions['method'], string];
      const url = pattern.replace(/:[a-zA-Z]+/g, 'abcdefghijkl');
      const none = await call(method, url);
      assert.equal(none.statusCode, 401, `${route} without a token: ${none.body}`);
      assert.match(none.json().error.message, /admin token/);
      for (const [what, headers, status] of [
        ['a wrong token', { authorization: `Bearer ${'y'.repeat(43)}` }, 401],
        ["an ordinary account's token", { authorization: `Bearer ${accountToken}` }, 403],
        ['the admin token one character short', { authorization: `Bearer ${codeyard.adminToken.slice(0, -1)}` }, 401],
      ] as const) {
        const res = await call(method, url, headers);
        assert.equal(res.statusCode, status, `${route} with ${what}: ${res.body}`);
      }
      // A cookie never carries admin rights, even one holding the admin token itself.
      const cookie = await call(method, url, { cookie: `codeyard_token=${codeyard.adminToken}` });
      assert.equal(cookie.statusCode, 401, `${route} with a cookie: ${cookie.body}`);
    }
  });

  it('refuses admin paths spelled another way (encoded, doubled slashes, upper case)', async () => {
    for (const url of ['/api/%61dmin/server', '//api//admin/server', '/API/ADMIN/server', '/api/admin']) {
      const res = await call('GET', url);
      assert.ok(res.statusCode === 401 || res.statusCode === 404, `${url}: ${res.statusCode} ${res.body}`);
      assert.notEqual(res.statusCode, 200, url);
    }
  });

  it('lets the admin token through', async () => {
    const res = await call('GET', '/api/admin/server', { authorization: `Bearer ${codeyard.adminToken}` });
    assert.equal(res.statusCode, 200, res.body);
  });
});
