import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClassDetail, PushFileResult } from '@codeyard/common/api/classes';
import { auditEvents } from '../admin/admin-portal.js';
import { freePort } from '../helpers/http.js';
import { assertError, type TokenPortal } from '../tokens/token-portal.js';
import { classStream, joinAs, makeClass, makeUser, ok, startClassPortal, type TestUser, until } from './class-portal.js';
import type { MemoryRuntime } from '../../src/runtime/memory-runtime.js';

/** Reads a file of a student's repl as its owner would see it (live or stored). */
async function fileOf(t: TokenPortal, replId: string, file: string): Promise<string | undefined> {
  const record = await t.database.repls.get(replId);
  return (await t.codeyard.portal.repls.files.read(record!.owner, replId, file).catch(() => undefined))?.toString();
}

describe('a teacher working with a class: push a file, reset, open, bulk start and stop, the live stream', () => {
  let t: TokenPortal & { runtime: MemoryRuntime };
  let teacher: TestUser;
  let admin: TestUser;
  before(async () => {
    t = await startClassPortal('SQLite');
    [teacher, admin] = [await makeUser(t, 'teacher'), await makeUser(t, 'admin')];
  });
  after(() => t.close());

  // Stored workspaces here (the runtime double has no agent); a running repl's goes through the
  // agent as the files API's does (ReplFiles), which the class push calls for each repl.
  it('pushes a file into every stored repl, joined or not, and refuses a path out of the workspace', async () => {
    const detail = await makeClass(t, teacher, ['Ada', 'Bo', 'Cy']);
    await joinAs(t, detail.students[0]!);
    const pushed = ok<PushFileResult>(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/files`, { path: 'notes/week2.md', content: '# Week 2' }));
    assert.deepEqual(pushed, { written: 3, failed: [] });
    for (const row of detail.students) assert.equal(await fileOf(t, row.replId, 'notes/week2.md'), '# Week 2');
    ok(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/files`, { path: 'data.bin', content: Buffer.from([0, 1, 2]).toString('base64'), encoding: 'base64' }));
    for (const bad of ['../escape.txt', '/etc/passwd', 'a/../../b', 'a\\b']) {
      assertError(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/files`, { path: bad, content: 'x' }), 400, 'INVALID_PATH', undefined, bad);
    }
    assertError(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/files`, { path: 'x', content: '%%%', encoding: 'base64' }), 400, 'VALIDATION', /not base64/);
    const [event] = await auditEvents(t, admin.token, 'kind=class.push');
    assert.deepEqual([event?.details.path, event?.details.written], ['data.bin', 3]);
  });

  it("resets a student's repl to the starter: their files gone, the starter's back as a newer version, still theirs", async () => {
    const detail = await makeClass(t, teacher, ['Dee']);
    const row = detail.students[0]!;
    const dee = await joinAs(t, row);
    await t.codeyard.portal.repls.files.write(dee.id, row.replId, 'index.js', Buffer.from('broken('));
    await t.codeyard.portal.repls.files.write(dee.id, row.replId, 'mine.txt', Buffer.from('mine'));
    const version = (await t.codeyard.workspaces.manifest(`workspaces/${row.replId}/`)).version;
    ok(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/students/${row.id}/reset`));
    assert.ok((await t.codeyard.workspaces.manifest(`workspaces/${row.replId}/`)).version > version, 'a newer version: a restore takes it');
    assert.equal(t.runtime.status(row.replId).state, 'stopped');
    assert.equal(await fileOf(t, row.replId, 'mine.txt'), undefined);
    assert.notEqual(await fileOf(t, row.replId, 'index.js'), 'broken(');
    assert.equal((await t.database.repls.get(row.replId))?.owner, dee.id, 'still the student\'s repl');
    assert.equal((await auditEvents(t, admin.token, 'kind=class.reset')).length, 1);
  });

  it("opens a student's IDE for the teacher (audited), not from another site", async () => {
    const detail = await makeClass(t, teacher, ['Eve']);
    const row = detail.students[0]!;
    await joinAs(t, row);
    const cross = await t.codeyard.portal.app.inject({ method: 'POST', url: `/api/classes/${detail.id}/students/${row.id}/open`, headers: { authorization: `Bearer ${teacher.token}`, 'sec-fetch-site': 'cross-site' } });
    assertError(cross, 403, 'FORBIDDEN', /came from another site/);
    assert.equal((await auditEvents(t, admin.token, 'kind=class.ide-open')).length, 0, 'nothing opened, nothing recorded');
    const { url } = ok<{ url: string }>(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/students/${row.id}/open`));
    assert.match(url, new RegExp(`^http://${row.replId}\\.localhost(:\\d+)?/_codeyard/auth\\?ticket=`));
    const [event] = await auditEvents(t, admin.token, 'kind=class.ide-open');
    assert.deepEqual([event?.account, event?.targetId, event?.details.studentId], [teacher.id, row.replId, row.id]);
  });

  it('starts and stops a whole class through admission, joined or not, and the live stream shows each row change', async () => {
    const detail = await makeClass(t, teacher, ['F1', 'F2', 'F3', 'F4']);
    await joinAs(t, detail.students[0]!);
    const port = await freePort();
    await t.codeyard.listen(port, '127.0.0.1');
    const { status, rows, names, close } = await classStream(port, detail.id, teacher.token);
    try {
      assert.equal(status, 200);
      const started = ok<{ queued: number }>(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/start`, {}), 202);
      assert.equal(started.queued, 4, 'more than one account may run (3): unjoined repls count against no account');
      await until(() => detail.students.every((s) => t.runtime.status(s.replId).state === 'running'), 'all four running');
      await until(() => detail.students.every((s) => rows.some((r) => r.id === s.id && r.status === 'running')), 'a running row for each on the stream');
      const late = await makeUser(t, 'member');
      await t.database.db.updateTable('accounts').set({ email: 'f2@school.test', email_key: 'f2@school.test' }).where('id', '=', late.id).execute();
      ok(await t.call({ bearer: late.token }, 'POST', '/api/join', { link: detail.students[1]!.link }));
      await until(() => rows.some((r) => r.id === detail.students[1]!.id && r.account?.id === late.id), 'the join on the stream');
      await until(() => names.includes('class'), 'the class counts on the stream');
      const stopped = ok<{ queued: number }>(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/stop`, { students: [detail.students[3]!.id] }), 202);
      assert.equal(stopped.queued, 1);
      await until(() => t.runtime.status(detail.students[3]!.replId).state === 'stopped', 'the one named stopped');
      assert.equal(t.runtime.status(detail.students[2]!.replId).state, 'running', 'the others not');
      assertError(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/stop`, { students: ['stu_aaaaaaaaaaaaaaaa'] }), 400, 'VALIDATION', /not in this class/);
      const detailNow = ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'GET', `/api/classes/${detail.id}`));
      assert.equal(detailNow.joined, 2);
    } finally {
      close();
    }
  });
});
