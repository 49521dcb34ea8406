import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClassDetail, ClassList } from '@codeyard/common/api/classes';
import { auditEvents, tokenOf } from '../admin/admin-portal.js';
import { assertError, DIALECTS, type TokenPortal } from '../tokens/token-portal.js';
import { makeClass, makeUser, ok, startClassPortal, type TestUser } from './class-portal.js';

for (const dialect of DIALECTS) {
  describe(`classes API: making a class and who may reach it (${dialect.name})`, { skip: dialect.skip }, () => {
    let t: TokenPortal & { storeDir: string };
    let teacher: TestUser;
    let other: TestUser;
    let member: TestUser;
    let admin: TestUser;
    before(async () => {
      t = await startClassPortal(dialect.name);
      [teacher, other, member, admin] = [await makeUser(t, 'teacher'), await makeUser(t, 'teacher'), await makeUser(t, 'member'), await makeUser(t, 'admin')];
    });
    after(() => t.close());

    const classCount = async (): Promise<number> => Number((await t.database.db.selectFrom('classes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const replCount = async (): Promise<number> => Number((await t.database.db.selectFrom('repls').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const storedClasses = (): string[] => fs.readdirSync(path.join(t.storeDir, 'objects'), { recursive: true }).map(String).filter((p) => p.startsWith('classes/') && p.split('/').length === 2);

    it('makes a class from a CSV: a stored copy of the starter per student, owned by the class, nothing started, links shown once', async () => {
      const csv = 'Name,Email,Student ID\nAda Lovelace,ada@school.test,S1\n"Ray, Bo",bo@school.test,S2\nCy,,S3\n';
      const detail = ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'POST', '/api/classes', { name: 'Intro to JS', starter: { stack: 'node' }, roster: { csv } }), 201);
      assert.deepEqual(detail.students.map((s) => [s.name, s.email ?? null, s.studentRef, s.status]), [
        ['Ada Lovelace', 'ada@school.test', 'S1', 'stopped'],
        ['Ray, Bo', 'bo@school.test', 'S2', 'stopped'],
        ['Cy', null, 'S3', 'stopped'],
      ]);
      assert.match(detail.code ?? '', /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
      for (const row of detail.students) {
        assert.match(row.link ?? '', new RegExp(`^${t.origin}/join/${row.id}\\.[A-Za-z0-9_-]{43}$`));
        const repl = await t.database.repls.get(row.replId);
        assert.equal(repl?.owner, `class:${detail.id}`, 'owned by the class until someone joins');
        const manifest = JSON.parse(fs.readFileSync(path.join(t.storeDir, 'objects', 'workspaces', row.replId, 'manifest.json'), 'utf8'));
        assert.ok(Object.keys(manifest.entries).includes('index.js'), "the node starter's files are in the student's stored workspace");
      }
      const again = ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'GET', `/api/classes/${detail.id}`));
      assert.ok(again.students.every((s) => s.link === undefined && s.linkActive), 'links are never shown again');
      const list = ok<ClassList>(await t.call({ bearer: teacher.token }, 'GET', '/api/classes'));
      assert.deepEqual(list.teaching.map((c) => [c.id, c.students, c.joined]), [[detail.id, 3, 0]]);
      const repls = ok<unknown[]>(await t.call({ bearer: teacher.token }, 'GET', '/api/repls'));
      assert.equal(repls.length, 0, "student repls are in no account's dashboard");
      const [event] = await auditEvents(t, admin.token, 'kind=class.create');
      assert.deepEqual([event?.account, event?.targetId, event?.details.students], [teacher.id, detail.id, 3]);
    });

    it("copies one of the teacher's repls as the starter, and refuses another's", async () => {
      const repl = ok<{ id: string }>(await t.call({ bearer: teacher.token }, 'POST', '/api/repls', { stack: 'python' }), 201);
      const put = await t.codeyard.portal.app.inject({ method: 'PUT', url: `/api/repls/${repl.id}/files/lesson.md`, headers: { authorization: `Bearer ${teacher.token}`, 'content-type': 'text/markdown' }, payload: '# Lesson 1' });
      assert.equal(put.statusCode, 201, put.body);
      const detail = ok<ClassDetail>(await t.call({ bearer: teacher.token }, 'POST', '/api/classes', { name: 'Py', starter: { repl: repl.id }, roster: [{ name: 'Ada' }] }), 201);
      assert.deepEqual(detail.starter, { repl: repl.id, stack: 'python' });
      const file = await t.codeyard.portal.repls.files.read(`class:${detail.id}`, detail.students[0]!.replId, 'lesson.md');
      assert.equal(file.toString(), '# Lesson 1');
      const before = [await classCount(), await replCount()];
      assertError(await t.call({ bearer: other.token }, 'POST', '/api/classes', { name: 'Py', starter: { repl: repl.id }, roster: [{ name: 'Ada' }] }), 400, 'VALIDATION', /starter.repl: you have no repl/);
      assert.deepEqual([await classCount(), await replCount()], before, 'nothing made');
    });

    it('refuses bad input with a 400 naming what is wrong, and makes nothing', async () => {
      const before = [await classCount(), await replCount(), storedClasses().length];
      const create = (body: Record<string, unknown>) => t.call({ bearer: teacher.token }, 'POST', '/api/classes', { name: 'Bad', starter: { stack: 'node' }, roster: [{ name: 'Ada' }], ...body });
      assertError(await create({ roster: { csv: 'name,email\nAda,ada@school.test\nBo,nope' } }), 400, 'INVALID_ROSTER', /^line 3, email: "nope" is not an email address/);
      assertError(await create({ roster: { csv: 'email\nada@school.test' } }), 400, 'INVALID_ROSTER', /line 1: the header row needs a "name" column/);
      assertError(await create({ roster: { csv: 'name\n"Ada' } }), 400, 'INVALID_ROSTER', /line 2: a quoted field is never closed/);
      assertError(await create({ roster: { csv: 'name,email\nAda,a@s.test\nBo,A@s.test' } }), 400, 'INVALID_ROSTER', /line 3, email: .* twice/);
      assertError(await create({ roster: { csv: `name\n${Array.from({ length: 501 }, (_, i) => `S${i}`).join('\n')}` } }), 400, 'INVALID_ROSTER', /at most 500/);
      assertError(await create({ roster: Array.from({ length: 501 }, (_, i) => ({ name: `S${i}` })) }), 400, 'VALIDATION', /roster/);
      assertError(await create({ starter: { stack: 'cobol' } }), 400, 'UNKNOWN_STACK', /starter.stack: unknown stack "cobol"; known stacks: .*node/);
      assertError(await create({ starter: { repl: 'abcdefghijkl' } }), 400, 'VALIDATION', /starter.repl: you have no repl abcdefghijkl/);
      assertError(await create({ limits: { memoryMb: 1_000_000 } }), 400, 'VALIDATION', /limits.memoryMb: at most/);
      assertError(await create({ colour: 'red' }), 400, 'VALIDATION');
      assert.deepEqual([await classCount(), await replCount(), storedClasses().length], before, 'no class, repl or stored starter left behind');
    });

    it('lets only teachers and admins make classes (403 naming the role), and refuses tokens without write', async () => {
      assertError(await t.call({ bearer: member.token }, 'POST', '/api/classes', { name: 'X', starter: { stack: 'node' }, roster: [{ name: 'Ada' }] }), 403, 'FORBIDDEN', /teacher or admin role; this account is a member/);
      const readOnly = await tokenOf(t, teacher.id, ['read']);
      assertError(await t.call({ bearer: readOnly }, 'POST', '/api/classes', { name: 'X', starter: { stack: 'node' }, roster: [{ name: 'Ada' }] }), 403, 'FORBIDDEN', /needs the `write` scope/);
      const detail = await makeClass(t, teacher, ['Ada']);
      assertError(await t.call({ bearer: readOnly }, 'POST', `/api/classes/${detail.id}/stop`, {}), 403, 'FORBIDDEN', /write/);
      assert.equal((await t.call({ bearer: readOnly }, 'GET', `/api/classes/${detail.id}`)).statusCode, 200, 'reading needs only read');
    });

    it('refuses cross-site cookie calls like the rest of the API', async () => {
      const { token } = await t.codeyard.portal.auth.sessions.create((await t.codeyard.portal.auth.accounts.byId(teacher.id))!, {});
      const body = { name: 'X', starter: { stack: 'node' }, roster: [{ name: 'Ada' }] };
      assertError(await t.call({ cookie: token, origin: 'https://evil.example' }, 'POST', '/api/classes', body), 403, 'FORBIDDEN');
      assert.equal((await t.call({ cookie: token }, 'POST', '/api/classes', body)).statusCode, 201, 'the same call from the portal itself works');
    });

    it("answers 404 for a class to everyone but its teacher and admins (another teacher, a member, an admin token without the admin scope)", async () => {
      const detail = await makeClass(t, teacher, ['Ada', 'Bo']);
      const sid = detail.students[0]!.id;
      const routes: Array<[string, string, unknown?]> = [
        ['GET', `/api/classes/${detail.id}`],
        ['GET', `/api/classes/${detail.id}/events`],
        ['POST', `/api/classes/${detail.id}/students`, { roster: [{ name: 'Eve' }] }],
        ['POST', `/api/classes/${detail.id}/students/${sid}/link`],
        ['DELETE', `/api/classes/${detail.id}/students/${sid}/link`],
        ['POST', `/api/classes/${detail.id}/code`],
        ['DELETE', `/api/classes/${detail.id}/code`],
        ['POST', `/api/classes/${detail.id}/start`, {}],
        ['POST', `/api/classes/${detail.id}/stop`, {}],
        ['POST', `/api/classes/${detail.id}/students/${sid}/reset`],
        ['POST', `/api/classes/${detail.id}/files`, { path: 'x.txt', content: 'x' }],
        ['POST', `/api/classes/${detail.id}/students/${sid}/open`],
      ];
      const adminWithoutScope = await tokenOf(t, admin.id, ['read', 'write']);
      for (const bearer of [other.token, member.token, adminWithoutScope]) {
        for (const [method, url, body] of routes) assertError(await t.call({ bearer }, method as 'GET', url, body), 404, 'NOT_FOUND', undefined, `${method} ${url}`);
      }
      assert.equal((await t.call({ bearer: admin.token }, 'GET', `/api/classes/${detail.id}`)).statusCode, 200, 'an admin with the admin scope may');
      // A row of one class through another class's id is no row either.
      const mine = await makeClass(t, other, ['Zed']);
      assertError(await t.call({ bearer: other.token }, 'POST', `/api/classes/${mine.id}/students/${sid}/link`), 404, 'NOT_FOUND');
      assert.equal((await t.call({ bearer: other.token }, 'GET', `/api/classes/${detail.id}x`)).statusCode, 400, 'a malformed id is a 400');
    });
  });
}
