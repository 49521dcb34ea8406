import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Joined } from '@codeyard/common/api/classes';
import { freePort } from '../helpers/http.js';
import type { TokenPortal } from '../tokens/token-portal.js';
import { classStream, makeClass, makeUser, ok, startClassPortal, type TestUser, until } from './class-portal.js';

/**
 * The teacher's dashboard hears every way of joining without a reload: by link (class-ops.test.ts),
 * and by class code, both onto a roster row with the account's address and as a walk-in whose
 * new row and repl are made by the join itself.
 */
describe('the class stream shows joins by class code, and a deletion', () => {
  let t: TokenPortal;
  let teacher: TestUser;
  let port: number;
  before(async () => {
    t = await startClassPortal('SQLite');
    teacher = await makeUser(t, 'teacher');
    port = await freePort();
    await t.codeyard.listen(port, '127.0.0.1');
  });
  after(() => t.close());

  it('sends the joined row and the class counts for a rostered join and for a walk-in by code', async () => {
    const detail = await makeClass(t, teacher, ['Gus']);
    const stream = await classStream(port, detail.id, teacher.token);
    try {
      assert.equal(stream.status, 200);
      const gus = await makeUser(t, 'member');
      await t.database.db.updateTable('accounts').set({ email: 'gus@school.test', email_key: 'gus@school.test' }).where('id', '=', gus.id).execute();
      ok<Joined>(await t.call({ bearer: gus.token }, 'POST', '/api/join', { code: detail.code }));
      await until(() => stream.rows.some((r) => r.id === detail.students[0]!.id && r.account?.id === gus.id), "Gus's join (his roster row) on the stream");
      await until(() => stream.names.includes('class'), 'the class counts');

      const walkIn = await makeUser(t, 'member');
      const joined = ok<Joined>(await t.call({ bearer: walkIn.token }, 'POST', '/api/join', { code: detail.code }));
      assert.notEqual(joined.studentId, detail.students[0]!.id, 'a new row');
      await until(() => stream.rows.some((r) => r.id === joined.studentId && r.account?.id === walkIn.id && r.replId === joined.replId), "the walk-in's new row, joined, on the stream");
    } finally {
      stream.close();
    }
  });

  it("tells a dashboard open elsewhere that its class was deleted, then ends the stream", async () => {
    const detail = await makeClass(t, teacher, ['Hal']);
    const stream = await classStream(port, detail.id, teacher.token);
    const other = await makeClass(t, teacher, ['Ida']);
    const otherStream = await classStream(port, other.id, teacher.token);
    try {
      ok(await t.call({ bearer: teacher.token }, 'DELETE', `/api/classes/${detail.id}`));
      await until(() => stream.names.includes('deleted') && stream.ended(), 'the deleted event, then the end of the stream');
      assert.equal(stream.names.at(-1), 'deleted');
      assert.equal(otherStream.names.includes('deleted') || otherStream.ended(), false, "another class's stream goes on");
    } finally {
      stream.close();
      otherStream.close();
    }
  });
});
