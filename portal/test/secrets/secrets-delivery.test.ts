import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClassDetail } from '@codeyard/common/api/classes';
import type { SecretList } from '@codeyard/common/api/secrets';
import type { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { makeUser, ok, startClassPortal, type TestUser, until } from '../classes/class-portal.js';
import { assertError, DIALECTS, type TokenPortal } from '../tokens/token-portal.js';
import { EnvAgentDouble } from './env-agent-double.js';

/**
 * What carries a repl's secrets and what does not, on the real portal and database with the
 * runtime double (MemoryRuntime) whose agents are {@link EnvAgentDouble}s recording what the
 * portal pushes: the set after every start (cold and from the warm pool) and after every change
 * while running; nothing for a repl without secrets; none on a fork or a class copy; rows gone
 * with the repl.
 */
for (const dialect of DIALECTS) {
  describe(`repl secrets reach the agent, and only the repl's (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TokenPortal & { runtime: MemoryRuntime };
    const agents = new EnvAgentDouble();
    let owner: TestUser;
    let teacher: TestUser;
    before(async () => {
      t = await startClassPortal(dialect.name, { CODEYARD_MAX_RUNNING_PER_ACCOUNT: '20' }, { endpoints: agents.endpoints });
      [owner, teacher] = [await makeUser(t, 'member'), await makeUser(t, 'teacher')];
    });
    after(async () => {
      await t.close();
      await agents.close();
    });

    const newRepl = async (who: TestUser, name: string): Promise<string> => {
      const id = ok<{ id: string }>(await t.call({ bearer: who.token }, 'POST', '/api/repls', { stack: 'node', name }), 201).id;
      await agents.serve(id);
      return id;
    };
    const put = (who: TestUser, id: string, name: string, value: string) => t.call({ bearer: who.token }, 'PUT', `/api/repls/${id}/secrets/${name}`, { value });
    const del = (who: TestUser, id: string, name: string) => t.call({ bearer: who.token }, 'DELETE', `/api/repls/${id}/secrets/${name}`);
    const secretsOf = (id: string) => t.call({ bearer: owner.token }, 'GET', `/api/repls/${id}/secrets`).then((r) => ok<SecretList>(r));
    const rowsOf = async (id: string): Promise<number> => (await t.database.db.selectFrom('repl_secrets').select('name').where('repl_id', '=', id).execute()).length;

    it('gives a started repl its set before the start answers, every change while it runs, and an empty set when the last goes', async () => {
      const id = await newRepl(owner, 'delivered');
      ok(await put(owner, id, 'API_KEY', 'one'), 201);
      ok(await put(owner, id, 'DB_URL', 'postgres://x'), 201);
      assert.equal(agents.pushes.get(id), undefined, 'a stopped repl: nothing pushed');
      ok(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${id}/start`));
      assert.deepEqual(agents.last(id), { API_KEY: 'one', DB_URL: 'postgres://x' }, 'pushed before the start answered');
      assert.equal((await secretsOf(id)).applied, true);

      ok(await put(owner, id, 'API_KEY', 'two'));
      assert.deepEqual(agents.last(id), { API_KEY: 'two', DB_URL: 'postgres://x' }, 'a change while it runs');
      assert.equal((await del(owner, id, 'DB_URL')).statusCode, 204);
      assert.deepEqual(agents.last(id), { API_KEY: 'two' });
      assert.equal((await del(owner, id, 'API_KEY')).statusCode, 204);
      assert.deepEqual(agents.last(id), {}, 'the last one gone: cleared');
      const pushes = agents.pushes.get(id)!.length;

      // Stopped and started again with none left: the new run is told so once (its agent cannot know the last one went).
      ok(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${id}/stop`));
      assert.equal((await secretsOf(id)).applied, undefined, 'not running: no applied');
      ok(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${id}/start`));
      assert.deepEqual(agents.pushes.get(id)!.slice(pushes), [{}]);
      assert.equal((await secretsOf(id)).applied, true);

      // A repl that never had a secret: no call at all, and applied.
      const none = await newRepl(owner, 'never had one');
      ok(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${none}/start`));
      assert.equal((await secretsOf(none)).applied, true);
      assert.deepEqual((agents.calls.get(none) ?? []).filter((c) => c.endsWith(' /env')), [], 'a repl without secrets costs no call');
    });

    it('saves a change the agent does not take, says applied: false, and gives the set at the next start', async () => {
      const id = await newRepl(owner, 'unreachable');
      ok(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${id}/start`));
      agents.failing.add(id);
      ok(await put(owner, id, 'TOKEN', 'saved anyway'), 201);
      assert.deepEqual((await secretsOf(id)).secrets.map((s) => s.name), ['TOKEN']);
      assert.equal((await secretsOf(id)).applied, false, 'the list does not pretend');
      agents.failing.delete(id);
      ok(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${id}/stop`));
      ok(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${id}/start`));
      assert.deepEqual(agents.last(id), { TOKEN: 'saved anyway' });
      assert.equal((await secretsOf(id)).applied, true);
    });

    it('leaves out a stored secret that does not decrypt (another key wrote it) and gives the rest', async () => {
      const id = await newRepl(owner, 'rotated');
      ok(await put(owner, id, 'GOOD', 'readable'), 201);
      const { SecretCipher } = await import('../../src/secrets/secret-cipher.js');
      const stale = new SecretCipher(Buffer.alloc(32, 9)).encrypt(id, 'STALE', 'written under an older key');
      await t.database.db.insertInto('repl_secrets').values({ repl_id: id, name: 'STALE', value: stale, updated_at: new Date().toISOString() }).execute();
      ok(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${id}/start`));
      assert.deepEqual(agents.last(id), { GOOD: 'readable' });
      assert.deepEqual((await secretsOf(id)).secrets.map((s) => s.name), ['GOOD', 'STALE'], 'still listed, so the owner sees it and sets it again');
    });

    it('gives them to a repl whose first start takes a warm sandbox', async () => {
      const id = await newRepl(owner, 'warm');
      const manifest = (await t.database.repls.get(id))!.manifest;
      t.runtime.warmPool([manifest], 1);
      await until(() => t.runtime.warmCounts().node === 1, 'a warm node sandbox');
      ok(await put(owner, id, 'WARM_SECRET', 'from the pool'), 201);
      ok(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${id}/start`));
      t.runtime.warmPool([manifest], 0);
      assert.ok(t.runtime.startedWarm.has(id), 'the start took the warm sandbox');
      assert.deepEqual(agents.last(id), { WARM_SECRET: 'from the pool' });
    });

    it('gives the set before the portal starts the app: Run on a stopped repl, and an always-on repl woken with its app', async () => {
      const viaRun = await newRepl(owner, 'run starts it');
      ok(await put(owner, viaRun, 'RUN_SECRET', 'before the app'), 201);
      ok(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${viaRun}/app/start`));
      const calls = agents.calls.get(viaRun)!;
      assert.ok(calls.indexOf('PUT /env') !== -1 && calls.indexOf('PUT /env') < calls.indexOf('POST /app/start'), `env first: ${calls.join(', ')}`);
      assert.deepEqual(agents.last(viaRun), { RUN_SECRET: 'before the app' });

      const alwaysOn = await newRepl(owner, 'always on');
      ok(await put(owner, alwaysOn, 'KEPT', 'for the kept app'), 201);
      ok(await t.call({ bearer: owner.token }, 'PATCH', `/api/repls/${alwaysOn}`, { alwaysOn: true }));
      await until(() => (agents.calls.get(alwaysOn) ?? []).filter((c) => c === 'POST /app/start').length >= 2, 'the woken app started (by the wake and by the always-on policy)');
      const woken = agents.calls.get(alwaysOn)!;
      assert.equal(woken[0], 'PUT /env', `env before any app call: ${woken.join(', ')}`);
      assert.equal(woken.filter((c) => c === 'PUT /env').length, 1, 'one push for the run, however many ask');
      assert.deepEqual(agents.last(alwaysOn), { KEPT: 'for the kept app' });
      ok(await t.call({ bearer: owner.token }, 'PATCH', `/api/repls/${alwaysOn}`, { alwaysOn: false }));
    });

    it('carries none to a fork or a class copy, keeps them from the class teacher, and deletes them with the repl', async () => {
      const source = await newRepl(owner, 'source');
      ok(await put(owner, source, 'PRIVATE', 'mine only'), 201);
      const fork = ok<{ id: string }>(await t.call({ bearer: owner.token }, 'POST', `/api/repls/${source}/fork`, {}), 201).id;
      assert.deepEqual((await secretsOf(fork)).secrets, [], 'the fork has none');
      assert.equal(await rowsOf(fork), 0);

      const starter = await newRepl(teacher, 'starter');
      ok(await put(teacher, starter, 'TEACHER_KEY', 'not for students'), 201);
      const klass = ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'POST', '/api/classes', { name: 'Secrets', starter: { repl: starter }, roster: [{ name: 'Ada', email: 'ada@school.test' }] }), 201);
      const copy = klass.students[0]!.replId;
      assert.equal(await rowsOf(copy), 0, 'the class copy has none');
      // The teacher of the class may not reach a student repl's secrets (the class owns it until someone joins).
      await t.database.db.insertInto('repl_secrets').values({ repl_id: copy, name: 'PLANTED', value: 'v1.x.y.z', updated_at: new Date().toISOString() }).execute();
      assertError(await t.call({ bearer: teacher.token }, 'GET', `/api/repls/${copy}/secrets`), 404, 'NOT_FOUND', /no repl/);
      assertError(await put(teacher, copy, 'PLANTED', 'x'), 404, 'NOT_FOUND', /no repl/);

      assert.equal(await rowsOf(source), 1);
      assert.equal((await t.call({ bearer: owner.token }, 'DELETE', `/api/repls/${source}`)).statusCode, 204);
      assert.equal(await rowsOf(source), 0, 'deleted with the repl');
    });
  });
}
