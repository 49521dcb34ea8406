import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClassDetail, ClassList, JoinInfo, Joined } from '@codeyard/common/api/classes';
import { auditEvents } from '../admin/admin-portal.js';
import { assertError, type TokenPortal } from '../tokens/token-portal.js';
import { joinAs, makeClass, makeUser, ok, startClassPortal, type TestUser } from './class-portal.js';

describe('joining a class: links, codes, sign-up through a link', () => {
  let t: TokenPortal;
  let teacher: TestUser;
  let admin: TestUser;
  before(async () => {
    t = await startClassPortal('SQLite');
    [teacher, admin] = [await makeUser(t, 'teacher'), await makeUser(t, 'admin')];
  });
  after(() => t.close());

  it("binds a link to the first account: the repl becomes the student's, nobody else's (409 for a second account, 404 for other students)", async () => {
    const detail = await makeClass(t, teacher, ['Ada', 'Bo']);
    const [ada, bo] = detail.students;
    const student = await joinAs(t, ada!);
    const repl = ok<{ id: string }>(await t.call({ bearer: student.token }, 'GET', `/api/repls/${ada!.replId}`));
    assert.equal(repl.id, ada!.replId, 'the student reaches it as their own repl');
    assert.deepEqual(ok<Array<{ id: string }>>(await t.call({ bearer: student.token }, 'GET', '/api/repls')).map((r) => r.id), [ada!.replId]);
    assertError(await t.call({ bearer: student.token }, 'GET', `/api/repls/${bo!.replId}`), 404, 'NOT_FOUND', undefined, "another student's repl");
    assertError(await t.call({ bearer: teacher.token }, 'GET', `/api/repls/${ada!.replId}`), 404, 'NOT_FOUND', undefined, "the teacher reaches it only through the class's routes");
    assertError(await t.call({ bearer: student.token }, 'GET', `/api/classes/${detail.id}`), 404, 'NOT_FOUND', undefined, 'a student does not see the class rows');

    const again = ok<Joined>(await t.call({ bearer: student.token }, 'POST', '/api/join', { link: ada!.link }));
    assert.equal(again.replId, ada!.replId, 'the same account opening its link again is no conflict');
    const second = await makeUser(t, 'member');
    assertError(await t.call({ bearer: second.token }, 'POST', '/api/join', { link: ada!.link }), 409, 'LINK_TAKEN', /another account has already joined/);
    assertError(await t.call({ bearer: second.token }, 'POST', '/api/join', { link: bo!.link }), 403, 'FORBIDDEN', /this join link is for bo@school.test/);
    assertError(await t.call({ bearer: student.token }, 'POST', '/api/join', { link: bo!.link }), 403, 'FORBIDDEN', undefined, "one student cannot take another's row");

    const list = ok<ClassList>(await t.call({ bearer: student.token }, 'GET', '/api/classes'));
    assert.deepEqual(list.attending.map((c) => [c.id, c.studentId, c.replId]), [[detail.id, ada!.id, ada!.replId]]);
    assert.deepEqual(list.teaching, []);
    const row = ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'GET', `/api/classes/${detail.id}`)).students[0]!;
    assert.equal(row.account?.id, student.id);
    assert.ok(row.joinedAt);
    const [event] = await auditEvents(t, admin.token, 'kind=class.join');
    assert.deepEqual([event?.account, event?.targetId, event?.details.studentId], [student.id, detail.id, ada!.id]);
  });

  it('stops a revoked or replaced link at once (404 naming what to do), and the new link works', async () => {
    const detail = await makeClass(t, teacher, ['Cy'], { emails: false });
    const [cy] = detail.students;
    const student = await makeUser(t, 'member');
    assert.equal((await t.call({ bearer: teacher.token }, 'DELETE', `/api/classes/${detail.id}/students/${cy!.id}/link`)).statusCode, 204);
    assertError(await t.call({ bearer: student.token }, 'POST', '/api/join', { link: cy!.link }), 404, 'NOT_FOUND', /ask your teacher for a new link/);
    assertError(await t.call({}, 'GET', `/api/join/info?link=${encodeURIComponent(cy!.link!)}`), 404, 'NOT_FOUND', /ask your teacher/);
    const { link } = ok<{ link: string }>(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/students/${cy!.id}/link`));
    assert.notEqual(link, cy!.link);
    const reissued = ok<{ link: string }>(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/students/${cy!.id}/link`)).link;
    assertError(await t.call({ bearer: student.token }, 'POST', '/api/join', { link }), 404, 'NOT_FOUND', undefined, 'replaced by the second reissue');
    ok(await t.call({ bearer: student.token }, 'POST', '/api/join', { link: reissued }));
    assertError(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/students/${cy!.id}/link`), 409, 'CONFLICT', /has joined already/);
    assertError(await t.call({ bearer: student.token }, 'POST', '/api/join', { link: 'https://elsewhere/join/nothing' }), 400, 'VALIDATION', /not a join link/);
    const forged = `${reissued.slice(0, -43)}${'A'.repeat(43)}`;
    assertError(await t.call({ bearer: student.token }, 'POST', '/api/join', { link: forged }), 404, 'NOT_FOUND', undefined, 'a guessed secret');
    assert.equal((await auditEvents(t, admin.token, 'kind=class.link-revoke')).length, 1);
  });

  it('joins by class code: the roster row of the account\'s address, else a new row with its own copy; a code turned off stops', async () => {
    const detail = await makeClass(t, teacher, ['Dee']);
    const dee = await makeUser(t, 'member');
    await t.database.db.updateTable('accounts').set({ email: 'dee@school.test', email_key: 'dee@school.test' }).where('id', '=', dee.id).execute();
    const joined = ok<Joined>(await t.call({ bearer: dee.token }, 'POST', '/api/join', { code: detail.code!.toLowerCase().replace('-', ' ') }));
    assert.equal(joined.studentId, detail.students[0]!.id, 'the row with the address');
    const walkIn = await makeUser(t, 'member');
    const fresh = ok<Joined>(await t.call({ bearer: walkIn.token }, 'POST', '/api/join', { code: detail.code }));
    assert.notEqual(fresh.replId, joined.replId);
    assert.equal((await t.database.repls.get(fresh.replId))?.owner, walkIn.id);
    const rows = ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'GET', `/api/classes/${detail.id}`)).students;
    assert.deepEqual(rows.map((r) => r.account?.id), [dee.id, walkIn.id], 'the roster grew by one');
    assertError(await t.call({ bearer: teacher.token }, 'POST', '/api/join', { code: detail.code }), 409, 'CONFLICT', /you teach this class/);
    assert.equal((await t.call({ bearer: teacher.token }, 'DELETE', `/api/classes/${detail.id}/code`)).statusCode, 204);
    assertError(await t.call({ bearer: (await makeUser(t, 'member')).token }, 'POST', '/api/join', { code: detail.code }), 404, 'NOT_FOUND', /no class has this code/);
    const { code } = ok<{ code: string }>(await t.call({ bearer: teacher.token }, 'POST', `/api/classes/${detail.id}/code`));
    assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  });

  it('lets someone without an account sign up through the link though sign-up is by invitation, once', async () => {
    const detail = await makeClass(t, teacher, ['Eve']);
    const [eve] = detail.students;
    assertError(await t.call({}, 'POST', '/api/auth/signup', { email: 'eve@school.test', password: 'correct horse', name: 'Eve' }), 403, 'FORBIDDEN', /by invitation/, 'plain sign-up stays closed');
    const info = ok<JoinInfo>(await t.call({}, 'GET', `/api/join/info?link=${encodeURIComponent(eve!.link!)}`));
    assert.deepEqual(info, { className: 'Intro', teacherName: 'teacher ' + info.teacherName!.split(' ')[1], studentName: 'Eve', email: 'eve@school.test', joined: false, signup: true });
    assertError(await t.call({}, 'POST', '/api/join/signup', { link: eve!.link, email: 'mallory@school.test', password: 'correct horse', name: 'M' }), 403, 'FORBIDDEN', /for eve@school.test/);
    assertError(await t.call({ origin: 'https://evil.example' }, 'POST', '/api/join/signup', { link: eve!.link, email: 'eve@school.test', password: 'correct horse', name: 'Eve' }), 403, 'FORBIDDEN', undefined, 'cross-site');
    const res = await t.call({ origin: t.origin }, 'POST', '/api/join/signup', { link: eve!.link, email: 'eve@school.test', password: 'correct horse', name: 'Eve' });
    const joined = ok<Joined>(res, 201);
    assert.match(String(res.headers['set-cookie']), /codeyard_token=cys_/, 'signed in');
    const account = await t.database.accounts.byEmail('eve@school.test');
    assert.equal((await t.database.repls.get(joined.replId))?.owner, account?.id);
    assert.equal(account?.role, 'member');
    assertError(await t.call({}, 'POST', '/api/join/signup', { link: eve!.link, email: 'eve2@school.test', password: 'correct horse', name: 'Eve' }), 409, 'LINK_TAKEN');
  });
});
