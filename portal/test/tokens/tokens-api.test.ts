import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiToken, CreatedToken } from '@codeyard/common/api/tokens';
import { hashToken } from '../../src/accounts/accounts.js';
import { MAX_TOKENS_PER_ACCOUNT } from '../../src/tokens/api-tokens.js';
import { assertError, DIALECTS, startTokenPortal, type TokenPortal } from './token-portal.js';

const DAY = 24 * 3600_000;

for (const dialect of DIALECTS) {
  /**
   * Personal API tokens through the HTTP API, on the real database: create, list, use, revoke,
   * expiry, scopes, and who may NOT do what with them.
   */
  describe(`API tokens (${dialect.name}; MemoryRuntime, MemoryStore)`, { skip: dialect.skip }, () => {
    let t: TokenPortal;
    let alice: string;
    let bob: string;

    const create = async (bearer: string, body: Record<string, unknown>): Promise<CreatedToken> => {
      const res = await t.call({ bearer }, 'POST', '/api/tokens', body);
      assert.equal(res.statusCode, 201, res.body);
      return res.json<CreatedToken>();
    };
    const list = async (bearer: string): Promise<ApiToken[]> => (await t.call({ bearer }, 'GET', '/api/tokens')).json<ApiToken[]>();

    before(async () => {
      t = await startTokenPortal(dialect.name);
      alice = await t.session();
      bob = await t.session();
    });
    after(async () => t?.close());

    it('creates a token shown once, lists it without its value, and lets it act as the account', async () => {
      const created = await create(alice, { name: 'deploy script' });
      assert.match(created.token, /^cyp_[A-Za-z0-9_-]{43}$/);
      assert.match(created.id, /^t[0-9a-f]{20}$/);
      assert.deepEqual(created.scopes, ['read', 'write'], 'read and write by default');
      assert.equal(Date.parse(created.expiresAt) - Date.parse(created.createdAt), 90 * DAY, '90 days by default');

      const repl = await t.call({ bearer: created.token }, 'POST', '/api/repls', { stack: 'node', name: 'by token' });
      assert.equal(repl.statusCode, 201, repl.body);
      const mine = (await t.call({ bearer: alice }, 'GET', '/api/repls')).json<{ name: string }[]>();
      assert.ok(mine.some((r) => r.name === 'by token'), 'the repl is the account’s');

      const listed = (await list(alice)).find((x) => x.id === created.id)!;
      assert.deepEqual(Object.keys(listed).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'scopes']);
      assert.ok(listed.lastUsedAt, 'its use was recorded');
      const rows = JSON.stringify(await t.database.db.selectFrom('api_tokens').selectAll().execute());
      assert.ok(!rows.includes(created.token) && rows.includes(hashToken(created.token)), 'only the hash is stored');
    });

    it("shows and revokes only the account's own tokens", async () => {
      const created = await create(alice, { name: 'private' });
      assert.ok(!(await list(bob)).some((x) => x.id === created.id), "not in another account's list");
      assertError(await t.call({ bearer: bob }, 'DELETE', `/api/tokens/${created.id}`), 404, 'NOT_FOUND');
      assert.equal((await t.call({ bearer: created.token }, 'GET', '/api/repls')).statusCode, 200, 'still works');
    });

    it('refuses a revoked token with 401 saying so, on the next request', async () => {
      const created = await create(alice, { name: 'to revoke' });
      assert.equal((await t.call({ bearer: alice }, 'DELETE', `/api/tokens/${created.id}`)).statusCode, 204);
      assertError(await t.call({ bearer: created.token }, 'GET', '/api/repls'), 401, 'UNAUTHENTICATED', /revoked.*codeyard login/);
      assert.ok(!(await list(alice)).some((x) => x.id === created.id), 'gone from the list');
      assertError(await t.call({ bearer: alice }, 'DELETE', `/api/tokens/${created.id}`), 404, 'NOT_FOUND', /revoked already/);
    });

    it('refuses an expired token with 401 saying so, and lists it until revoked', async () => {
      const created = await create(alice, { name: 'one day', expiresInDays: 1 });
      assert.equal((await t.call({ bearer: created.token }, 'GET', '/api/repls')).statusCode, 200);
      t.clock.now += DAY + 1000;
      try {
        assertError(await t.call({ bearer: created.token }, 'GET', '/api/repls'), 401, 'UNAUTHENTICATED', /expired/);
        assert.ok((await list(alice)).some((x) => x.id === created.id));
      } finally {
        t.clock.now -= DAY + 1000;
      }
    });

    it('refuses unknown and malformed tokens, and an API token sent as the cookie', async () => {
      assertError(await t.call({ bearer: `cyp_${'A'.repeat(43)}` }, 'GET', '/api/repls'), 401, 'UNAUTHENTICATED', /not known/);
      assertError(await t.call({ bearer: 'cyp_short' }, 'GET', '/api/repls'), 401, 'UNAUTHENTICATED');
      const created = await create(alice, { name: 'not a cookie' });
      assertError(await t.call({ cookie: created.token }, 'GET', '/api/repls'), 401, 'UNAUTHENTICATED');
    });

    it('gives a read-only token 403 naming the missing scope on every change, but lets it sign itself out', async () => {
      const reader = await create(alice, { name: 'reader', scopes: ['read'] });
      assert.deepEqual(reader.scopes, ['read']);
      assert.equal((await t.call({ bearer: reader.token }, 'GET', '/api/repls')).statusCode, 200);
      const other = await create(alice, { name: 'other' });
      for (const [method, url, body] of [
        ['POST', '/api/repls', { stack: 'node' }],
        ['POST', '/api/tokens', { name: 'more' }],
        ['DELETE', `/api/tokens/${other.id}`, undefined],
      ] as const) {
        const res = await t.call({ bearer: reader.token }, method, url, body);
        assertError(res, 403, 'FORBIDDEN', /`write` scope/, `${method} ${url}`);
        assert.equal(res.json().error.details.missingScope, 'write');
      }
      assert.equal((await t.call({ bearer: reader.token }, 'DELETE', '/api/tokens/current')).statusCode, 204);
      assertError(await t.call({ bearer: reader.token }, 'GET', '/api/repls'), 401, 'UNAUTHENTICATED', /revoked/);
      assert.equal((await t.call({ bearer: other.token }, 'GET', '/api/repls')).statusCode, 200, 'only the calling token was revoked');
    });

    it('lets a token make tokens only within its own scopes and lifetime', async () => {
      const writer = await create(alice, { name: 'writer', expiresInDays: 30 });
      const child = await create(writer.token, { name: 'child', scopes: ['read'], expiresInDays: 7 });
      assert.deepEqual(child.scopes, ['read']);
      assertError(await t.call({ bearer: writer.token }, 'POST', '/api/tokens', { name: 'longer', expiresInDays: 31 }), 403, 'FORBIDDEN', /outlives/);
      assertError(await t.call({ bearer: writer.token }, 'POST', '/api/tokens', { name: 'admin', scopes: ['admin'] }), 403, 'FORBIDDEN', /admin/);
      assertError(await t.call({ bearer: alice }, 'POST', '/api/tokens', { name: 'admin', scopes: ['read', 'admin'] }), 403, 'FORBIDDEN', /may not give a token the scope admin/, 'not an admin account');
      assert.deepEqual((await create(alice, { name: 'write only', scopes: ['write'] })).scopes, ['read', 'write'], 'write includes read');
    });

    it('signs out only a token: DELETE /api/tokens/current with another credential is a 400', async () => {
      assertError(await t.call({ bearer: alice }, 'DELETE', '/api/tokens/current'), 400, 'BAD_REQUEST', /not made with an API token/);
    });

    it('records the last use at most once a minute', async () => {
      const created = await create(alice, { name: 'last use' });
      await t.call({ bearer: created.token }, 'GET', '/api/repls');
      const first = (await list(alice)).find((x) => x.id === created.id)!.lastUsedAt;
      assert.ok(first);
      t.clock.now += 30_000;
      await t.call({ bearer: created.token }, 'GET', '/api/repls');
      assert.equal((await list(alice)).find((x) => x.id === created.id)!.lastUsedAt, first, 'not rewritten within the minute');
      t.clock.now += 31_000;
      await t.call({ bearer: created.token }, 'GET', '/api/repls');
      assert.equal((await list(alice)).find((x) => x.id === created.id)!.lastUsedAt, new Date(t.clock.now).toISOString(), 'a minute later');
    });

    it('refuses bad requests naming the field', async () => {
      for (const [body, field] of [
        [{ name: '' }, /name/],
        [{ name: 'x', scopes: ['root'] }, /scopes/],
        [{ name: 'x', scopes: [] }, /scopes/],
        [{ name: 'x', expiresInDays: 0 }, /expiresInDays/],
        [{ name: 'x', expiresInDays: 400 }, /expiresInDays/],
        [{ name: 'x', colour: 'red' }, /colour/],
      ] as const) {
        assertError(await t.call({ bearer: alice }, 'POST', '/api/tokens', body), 400, 'VALIDATION', field, JSON.stringify(body));
      }
      assertError(await t.call({ bearer: alice }, 'DELETE', '/api/tokens/not-a-token-id'), 400, 'VALIDATION', /id/);
      assertError(await t.call({}, 'GET', '/api/tokens'), 401, 'UNAUTHENTICATED');
    });

    it('lets a browser manage tokens with its cookie only from the portal page', async () => {
      const res = await t.call({ cookie: bob }, 'POST', '/api/tokens', { name: 'from the page' });
      assert.equal(res.statusCode, 201, res.body);
      assertError(await t.call({ cookie: bob, origin: 'http://evil.example' }, 'POST', '/api/tokens', { name: 'forged' }), 403, 'FORBIDDEN', /cross-origin/);
      assertError(await t.call({ cookie: bob, origin: null }, 'POST', '/api/tokens', { name: 'forged' }), 403, 'FORBIDDEN', /without an Origin/);
      // A bearer token is never sent by a browser on its own: no Origin rule for it, as before.
      assert.equal((await t.call({ bearer: res.json<CreatedToken>().token, origin: 'http://evil.example' }, 'GET', '/api/tokens')).statusCode, 200);
    });

    it(`holds an account to ${MAX_TOKENS_PER_ACCOUNT} working tokens`, async () => {
      const carol = await t.session();
      for (let i = 0; i < MAX_TOKENS_PER_ACCOUNT; i++) await create(carol, { name: `n${i}` });
      assertError(await t.call({ bearer: carol }, 'POST', '/api/tokens', { name: 'one more' }), 409, 'LIMIT_REACHED', /revoke/);
      const first = (await list(carol))[0]!;
      assert.equal((await t.call({ bearer: carol }, 'DELETE', `/api/tokens/${first.id}`)).statusCode, 204);
      await create(carol, { name: 'after revoking one' });
    });
  });
}
