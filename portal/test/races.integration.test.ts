import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReplView } from '../src/repls/repl-service.js';
import { tarGz } from './helpers/archives.js';
import { request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/**
 * Concurrent requests of one account against limits and records (issue 10, class 9): what one
 * request checks or reads must still hold when it acts, whatever runs beside it.
 */
describe('concurrent requests of one account', { timeout: 180_000 }, () => {
  let t: TestPortal;
  let alice: string;
  let repls: ReplView[];

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_MAX_RUNNING_PER_ACCOUNT: '2', CODEYARD_MAX_REPLS_PER_ACCOUNT: '12' } });
    alice = await t.newToken();
    repls = [];
    for (let i = 0; i < 10; i++) repls.push((await t.api(alice, 'POST', '/api/repls', { stack: 'node', name: `Race ${i}` })).json<ReplView>());
  });
  after(() => t?.close());

  it('runs no more repls than the running limit when ten starts arrive at once', async () => {
    const answers = await Promise.all(repls.map((r) => t.api(alice, 'POST', `/api/repls/${r.id}/start`)));
    const started = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    assert.equal(started.length, 2, answers.map((a) => `${a.status} ${a.body.slice(0, 200)}`).join('\n'));
    assert.equal(refused.length, 8);
    for (const answer of refused) {
      assert.equal(answer.status, 409);
      assert.equal(answer.json().error.code, 'LIMIT_REACHED');
      assert.match(answer.json().error.message, /may run 2 repls at once \(the running limit\)/);
    }
    const running = repls.filter((r) => ['running', 'starting'].includes(t.runtime.status(r.id).state));
    assert.equal(running.length, 2, 'exactly two sandboxes run');
    assert.deepEqual(
      running.map((r) => r.id).sort(),
      started.map((a) => a.json<ReplView>().id).sort(),
    );
    // Starting one that already runs takes no new slot and is not refused.
    assert.equal((await t.api(alice, 'POST', `/api/repls/${running[0]!.id}/start`)).status, 200);
    const stopped = repls.find((r) => !running.includes(r))!;
    assert.equal((await t.api(alice, 'POST', `/api/repls/${stopped.id}/start`)).status, 409, 'the limit still holds after the burst');
  });

  it('makes no more repls than the repl limit when creates, forks and imports arrive at once', async () => {
    const archive = await tarGz([{ name: 'index.js', body: 'console.log(1)\n' }]);
    const importOne = () => request(t.port, { method: 'POST', path: '/api/repls/import?stack=node', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/gzip' }, body: archive });
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => t.api(alice, 'POST', '/api/repls', { stack: 'node', name: `Extra ${i}` })),
      ...repls.slice(0, 2).map((r) => t.api(alice, 'POST', `/api/repls/${r.id}/fork`, {})),
      importOne(),
      importOne(),
    ]);
    const made = answers.filter((a) => a.status === 201);
    assert.equal(made.length, 2, answers.map((a) => `${a.status} ${a.body.slice(0, 200)}`).join('\n'));
    for (const answer of answers.filter((a) => a.status !== 201)) {
      assert.equal(answer.status, 409);
      assert.match(answer.json().error.message, /the most it may have \(the repl limit\)/);
    }
    const listed = (await t.api(alice, 'GET', '/api/repls')).json<ReplView[]>();
    assert.equal(listed.length, 12);
    for (const extra of made.map((a) => a.json<ReplView>())) assert.equal((await t.api(alice, 'DELETE', `/api/repls/${extra.id}`)).status, 204);
  });

  it('keeps every change when renames and port visibility changes interleave', async () => {
    const repl = repls.find((r) => t.runtime.status(r.id).state === 'stopped')!;
    const names = Array.from({ length: 10 }, (_, i) => `Renamed ${i}`);
    const ports = Array.from({ length: 10 }, (_, i) => 4000 + i);
    const answers = await Promise.all(
      names.flatMap((name, i) => [
        t.api(alice, 'PATCH', `/api/repls/${repl.id}`, { name }),
        t.api(alice, 'PATCH', `/api/repls/${repl.id}/ports/${ports[i]}`, { visibility: i % 2 ? 'private' : 'public' }),
      ]),
    );
    for (const answer of answers) assert.equal(answer.status, 200, answer.body);
    // Requests are applied in the order they reach the portal: the last rename applied wins, and
    // no rename undoes a visibility change (or the other way round).
    const view = (await t.api(alice, 'GET', `/api/repls/${repl.id}`)).json<ReplView>();
    const renameAnswers = answers.filter((_, i) => i % 2 === 0).map((a) => a.json<ReplView>());
    assert.ok(names.includes(view.name));
    for (const port of ports) {
      const expected = (port - 4000) % 2 ? 'private' : 'public';
      assert.equal(view.ports.find((p) => p.port === port)?.visibility, expected, `port ${port} in ${JSON.stringify(view.ports)}`);
    }
    // The stored record (what a restarted portal reads) has them all too.
    const stored = (await t.portal.database.repls.get(repl.id))!;
    assert.equal(stored.name, view.name);
    assert.equal(Object.keys(stored.ports ?? {}).length, 10);
    assert.ok(renameAnswers.some((r) => r.name === view.name));

    // The pair the issue names: one rename and one visibility change at the same moment.
    const [renamed, madePrivate] = await Promise.all([
      t.api(alice, 'PATCH', `/api/repls/${repl.id}`, { name: 'Last name' }),
      t.api(alice, 'PATCH', `/api/repls/${repl.id}/ports/4000`, { visibility: 'private' }),
    ]);
    assert.equal(renamed.status, 200);
    assert.equal(madePrivate.status, 200);
    const last = (await t.portal.database.repls.get(repl.id))!;
    assert.equal(last.name, 'Last name');
    assert.equal(last.ports?.['4000'], 'private');
  });
});
