import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SecretEntry, SecretList } from '@codeyard/common/api/secrets';
import { SECRETS_MAX } from '@codeyard/common/secrets';
import { auditEvents, tokenOf } from '../admin/admin-portal.js';
import { makeUser, ok, startClassPortal, type TestUser } from '../classes/class-portal.js';
import { assertError, DIALECTS, type TokenPortal } from '../tokens/token-portal.js';

const SECRET = 'sk_live_0123456789abcdef-secret-value';

/**
 * The secrets API on the real portal and database (SQLite, and PostgreSQL when given) with the
 * runtime double (MemoryRuntime: nothing runs, so no repl here has an agent): what the owner
 * may do, what is refused and in which words, who may not, and what is stored and audited.
 */
for (const dialect of DIALECTS) {
  describe(`repl secrets API (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TokenPortal;
    let owner: TestUser;
    let other: TestUser;
    let admin: TestUser;
    let replId: string;
    before(async () => {
      t = await startClassPortal(dialect.name);
      [owner, other, admin] = [await makeUser(t, 'member'), await makeUser(t, 'member'), await makeUser(t, 'admin')];
      replId = ok<{ id: string }>(await t.call({ bearer: owner.token }, 'POST', '/api/repls', { stack: 'node', name: 'with secrets' }), 201).id;
    });
    after(() => t.close());

    const put = (who: { bearer?: string; cookie?: string }, name: string, body: unknown, id = replId) => t.call(who, 'PUT', `/api/repls/${id}/secrets/${name}`, body);
    const list = async (id = replId): Promise<SecretList> => ok<SecretList>(await t.call({ bearer: owner.token }, 'GET', `/api/repls/${id}/secrets`));

    it('adds (201), replaces (200), lists names by name without values, and removes (204)', async () => {
      const first = ok<SecretEntry>(await put({ bearer: owner.token }, 'STRIPE_KEY', { value: SECRET }), 201);
      assert.equal(first.name, 'STRIPE_KEY');
      ok(await put({ bearer: owner.token }, 'API_URL', { value: 'https://example.test' }), 201);
      const replaced = await put({ bearer: owner.token }, 'STRIPE_KEY', { value: `${SECRET}-2` });
      assert.equal(replaced.statusCode, 200, replaced.body);
      assert.ok(!replaced.body.includes(SECRET), 'no value in the answer');
      const listed = await t.call({ bearer: owner.token }, 'GET', `/api/repls/${replId}/secrets`);
      assert.ok(!listed.body.includes(SECRET) && !listed.body.includes('example.test'), `no value in the list: ${listed.body}`);
      const body = listed.json<SecretList>();
      assert.deepEqual(body.secrets.map((s) => s.name), ['API_URL', 'STRIPE_KEY']);
      assert.ok(body.secrets.every((s) => !Number.isNaN(Date.parse(s.updatedAt))));
      assert.equal(body.applied, undefined, 'a stopped repl: no applied');
      const removed = await t.call({ bearer: owner.token }, 'DELETE', `/api/repls/${replId}/secrets/API_URL`);
      assert.equal(removed.statusCode, 204, removed.body);
      assert.deepEqual((await list()).secrets.map((s) => s.name), ['STRIPE_KEY']);
      assertError(await t.call({ bearer: owner.token }, 'DELETE', `/api/repls/${replId}/secrets/API_URL`), 404, 'NOT_FOUND', /no secret API_URL/);
    });

    it('refuses a bad name, a reserved name, a too-large value, a NUL, malformed JSON and unknown fields with a 400 saying what is wrong', async () => {
      assertError(await put({ bearer: owner.token }, '1BAD', { value: 'x' }), 400, 'VALIDATION', /"1BAD" is not a variable name/);
      assertError(await put({ bearer: owner.token }, 'BAD-NAME', { value: 'x' }), 400, 'VALIDATION', /not a variable name/);
      assertError(await put({ bearer: owner.token }, 'PATH', { value: 'x' }), 400, 'VALIDATION', /PATH is set by the repl itself/);
      assertError(await put({ bearer: owner.token }, 'CODEYARD_TOKEN', { value: 'x' }), 400, 'VALIDATION', /CODEYARD_TOKEN is set by the repl itself/);
      assertError(await put({ bearer: owner.token }, 'BIG', { value: 'x'.repeat(32 * 1024 + 1) }), 400, 'VALIDATION', /at most 32 KiB/);
      assertError(await put({ bearer: owner.token }, 'BIG', { value: 'é'.repeat(16 * 1024 + 1) }), 400, 'VALIDATION', /at most 32 KiB/, 'bytes, not characters');
      assertError(await put({ bearer: owner.token }, 'NUL', { value: 'a\u0000b' }), 400, 'VALIDATION', /NUL/);
      assertError(await put({ bearer: owner.token }, 'ODD', { value: 'x', colour: 'red' }), 400, 'VALIDATION', /unknown field "colour"/);
      assertError(await put({ bearer: owner.token }, 'ODD', {}), 400, 'VALIDATION', /value/);
      const malformed = await t.codeyard.portal.app.inject({ method: 'PUT', url: `/api/repls/${replId}/secrets/ODD`, headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' }, payload: '{"value": "x"' });
      assertError(malformed, 400, 'INVALID_JSON', /not valid JSON/);
      assert.deepEqual((await list()).secrets.map((s) => s.name).filter((n) => n !== 'STRIPE_KEY'), [], 'none of them stored');
    });

    it(`refuses the ${SECRETS_MAX + 1}th secret with a 409 (20 PUTs at once at ${SECRETS_MAX - 5} too), and a replace at the limit still works`, async () => {
      const full = ok<{ id: string }>(await t.call({ bearer: owner.token }, 'POST', '/api/repls', { stack: 'node', name: 'full' }), 201).id;
      for (let i = 0; i < SECRETS_MAX - 5; i++) ok(await put({ bearer: owner.token }, `S_${i}`, { value: `v${i}` }, full), 201);
      const raced = await Promise.all(Array.from({ length: 20 }, (_, i) => put({ bearer: owner.token }, `RACE_${i}`, { value: 'r' }, full)));
      assert.deepEqual([raced.filter((r) => r.statusCode === 201).length, raced.filter((r) => r.statusCode === 409).length], [5, 15], raced.map((r) => r.statusCode).join(' '));
      assert.equal((await list(full)).secrets.length, SECRETS_MAX, 'exactly the limit');
      assertError(await put({ bearer: owner.token }, 'ONE_MORE', { value: 'x' }, full), 409, 'LIMIT_REACHED', new RegExp(`at most ${SECRETS_MAX} secrets`));
      ok(await put({ bearer: owner.token }, 'S_0', { value: 'replaced' }, full), 200);
      // 256 KiB together: 8 values of 32 KiB fill it; one byte more is refused.
      const big = ok<{ id: string }>(await t.call({ bearer: owner.token }, 'POST', '/api/repls', { stack: 'node', name: 'big' }), 201).id;
      for (let i = 0; i < 8; i++) ok(await put({ bearer: owner.token }, `B_${i}`, { value: 'x'.repeat(32 * 1024) }, big), 201);
      assertError(await put({ bearer: owner.token }, 'B_8', { value: 'x' }, big), 409, 'LIMIT_REACHED', /256 KiB together/);
      for (const id of [full, big]) assert.equal((await t.call({ bearer: owner.token }, 'DELETE', `/api/repls/${id}`)).statusCode, 204);
    });

    it('answers everyone but the owner as for a repl not theirs: another account, an admin, anonymous; a read-scoped token may list only', async () => {
      ok(await put({ bearer: owner.token }, 'ONLY_MINE', { value: SECRET }), 201);
      for (const [who, bearer] of [['another account', other.token], ['an admin who does not own it', admin.token]] as const) {
        assertError(await t.call({ bearer }, 'GET', `/api/repls/${replId}/secrets`), 404, 'NOT_FOUND', /no repl/, who);
        assertError(await put({ bearer }, 'ONLY_MINE', { value: 'overwritten' }), 404, 'NOT_FOUND', /no repl/, who);
        assertError(await put({ bearer }, '1BAD', { value: 'x' }), 404, 'NOT_FOUND', /no repl/, `${who}, bad name: ownership first`);
        assertError(await t.call({ bearer }, 'DELETE', `/api/repls/${replId}/secrets/ONLY_MINE`), 404, 'NOT_FOUND', /no repl/, who);
      }
      for (const [method, body] of [['GET', undefined], ['PUT', { value: 'x' }], ['DELETE', undefined]] as const) {
        const url = method === 'GET' ? `/api/repls/${replId}/secrets` : `/api/repls/${replId}/secrets/ONLY_MINE`;
        assertError(await t.call({}, method, url, body), 401, 'UNAUTHENTICATED', undefined, `anonymous ${method}`);
      }
      const readOnly = await tokenOf(t, owner.id, ['read']);
      assert.deepEqual(ok<SecretList>(await t.call({ bearer: readOnly }, 'GET', `/api/repls/${replId}/secrets`)).secrets.some((s) => s.name === 'ONLY_MINE'), true);
      assertError(await put({ bearer: readOnly }, 'ONLY_MINE', { value: 'x' }), 403, 'FORBIDDEN', /needs the `write` scope/);
      assertError(await t.call({ bearer: readOnly }, 'DELETE', `/api/repls/${replId}/secrets/ONLY_MINE`), 403, 'FORBIDDEN', /needs the `write` scope/);
      const row = await t.database.db.selectFrom('repl_secrets').selectAll().where('repl_id', '=', replId).where('name', '=', 'ONLY_MINE').executeTakeFirstOrThrow();
      const { SecretCipher } = await import('../../src/secrets/secret-cipher.js');
      assert.equal(new SecretCipher(Buffer.alloc(32, 5)).decrypt(replId, 'ONLY_MINE', row.value), SECRET, 'unchanged by the refused calls');
    });

    it("refuses a cross-origin browser request made with the owner's session, as other write routes do", async () => {
      const { token: cookie } = await t.codeyard.portal.auth.sessions.create((await t.codeyard.portal.auth.accounts.byId(owner.id))!, {});
      assertError(await t.call({ cookie, origin: 'http://evil.example' }, 'PUT', `/api/repls/${replId}/secrets/FORGED`, { value: 'x' }), 403, 'FORBIDDEN', /cross-origin/);
      assertError(await t.call({ cookie, origin: 'http://evil.example' }, 'DELETE', `/api/repls/${replId}/secrets/ONLY_MINE`), 403, 'FORBIDDEN', /cross-origin/);
      assert.equal((await list()).secrets.some((s) => s.name === 'FORGED'), false);
      ok(await t.call({ cookie }, 'PUT', `/api/repls/${replId}/secrets/FROM_THE_PAGE`, { value: 'x' }), 201);
    });

    it('stores only ciphertext; a row moved to another repl or name does not decrypt, and such a row is listed, not crashed on', async () => {
      ok(await put({ bearer: owner.token }, 'AT_REST', { value: SECRET }), 201);
      const row = await t.database.db.selectFrom('repl_secrets').selectAll().where('repl_id', '=', replId).where('name', '=', 'AT_REST').executeTakeFirstOrThrow();
      assert.ok(!row.value.includes(SECRET) && !row.value.includes(Buffer.from(SECRET).toString('base64url').slice(0, 12)), `no plaintext in ${row.value}`);
      assert.match(row.value, /^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
      const { SecretCipher } = await import('../../src/secrets/secret-cipher.js');
      const cipher = new SecretCipher(Buffer.alloc(32, 5)); // the test portal's signing key
      assert.equal(cipher.decrypt(replId, 'AT_REST', row.value), SECRET, 'this key, this repl, this name');
      const otherRepl = ok<{ id: string }>(await t.call({ bearer: owner.token }, 'POST', '/api/repls', { stack: 'node', name: 'thief' }), 201).id;
      assert.equal(cipher.decrypt(otherRepl, 'AT_REST', row.value), undefined, 'another repl');
      assert.equal(cipher.decrypt(replId, 'RENAMED', row.value), undefined, 'another name');
      assert.equal(new SecretCipher(Buffer.alloc(32, 6)).decrypt(replId, 'AT_REST', row.value), undefined, 'another signing key');
      await t.database.db.insertInto('repl_secrets').values({ ...row, repl_id: otherRepl }).execute();
      assert.deepEqual((await list(otherRepl)).secrets.map((s) => s.name), ['AT_REST'], 'listed by name all the same');
    });

    it('audits a set and a delete with the name and never the value', async () => {
      ok(await put({ bearer: owner.token }, 'AUDITED', { value: SECRET }), 201);
      assert.equal((await t.call({ bearer: owner.token }, 'DELETE', `/api/repls/${replId}/secrets/AUDITED`)).statusCode, 204);
      const events = [...(await auditEvents(t, admin.token, 'kind=repl.secret-set')), ...(await auditEvents(t, admin.token, 'kind=repl.secret-delete'))].filter((e) => e.details?.name === 'AUDITED');
      assert.deepEqual(events.map((e) => e.kind).sort(), ['repl.secret-delete', 'repl.secret-set']);
      for (const event of events) {
        assert.deepEqual([event.targetType, event.targetId, event.targetAccount, event.account], ['repl', replId, owner.id, owner.id]);
        assert.ok(!JSON.stringify(event).includes(SECRET), 'no value in the audit log');
      }
      const rows = await t.database.db.selectFrom('audit_events').selectAll().execute();
      assert.ok(!JSON.stringify(rows).includes(SECRET), 'nor in any stored audit row');
    });

    it('lists the routes in the OpenAPI document', async () => {
      const doc = ok<{ paths: Record<string, Record<string, unknown>> }>(await t.call({}, 'GET', '/api/openapi.json'));
      assert.deepEqual(Object.keys(doc.paths['/api/repls/{id}/secrets'] ?? {}), ['get']);
      assert.deepEqual(Object.keys(doc.paths['/api/repls/{id}/secrets/{name}'] ?? {}).sort(), ['delete', 'put']);
    });
  });
}
