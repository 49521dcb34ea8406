import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newStudentId } from '../../src/classes/class-ids.js';
import type { ClassRecord, StudentRecord } from '../../src/db/class-repository.js';
import { databaseOpener, type DatabaseTarget } from './db-test-helpers.js';
import { replRecord } from './describe-repositories.js';

const sid = newStudentId;
const cid = (label: string): string => `cls_${label.padEnd(16, 'q').slice(0, 16)}`;
const AT = '2026-12-01T10:00:00.000Z';

function klass(id: string, teacher: string, fields: Partial<ClassRecord> = {}): ClassRecord {
  return { id, teacher, name: `class ${id}`, starter: { stack: 'node' }, limits: {}, createdAt: AT, ...fields };
}
function student(classId: string, replId: string, fields: Partial<StudentRecord> = {}): StudentRecord {
  return { id: sid(), classId, name: 'Ada', replId, createdAt: AT, ...fields };
}

/** Classes and rosters on every dialect: whole rosters or none, one binding per row, owners handed over by compare-and-set. */
export function describeClassRepository(name: string, make: () => Promise<DatabaseTarget>, options: { skip?: string } = {}): void {
  describe(`classes on ${name}`, { skip: options.skip }, () => {
    const open = databaseOpener(make);

    it('stores a class with its roster, counts joins, and refuses a roster with one address twice as a whole', async () => {
      const db = await open();
      const id = cid('aroster');
      const rows = [student(id, 'r1aaaaaaaaaa', { email: 'Ada@School.test' }), student(id, 'r2aaaaaaaaaa', { name: 'Bo', studentRef: 'S-2', createdAt: '2026-12-01T10:00:00.001Z' })];
      await db.classes.insert(klass(id, 'u-teacher', { code: 'ABCD-EFGH' }), rows);
      assert.deepEqual((await db.classes.students(id)).map((s) => s.name), ['Ada', 'Bo']);
      assert.equal((await db.classes.byCode('ABCD-EFGH'))?.id, id);
      const [listed] = await db.classes.listByTeacher('u-teacher');
      assert.deepEqual([listed?.students, listed?.joined], [2, 0]);
      assert.equal((await db.classes.studentByEmail(id, 'ada@school.TEST'))?.id, rows[0]!.id, 'addresses match whatever their case');

      await assert.rejects(db.classes.insertStudents([student(id, 'r3aaaaaaaaaa', { email: 'x@school.test' }), student(id, 'r4aaaaaaaaaa', { email: 'ADA@school.test' })]));
      assert.equal((await db.classes.students(id)).length, 2, 'nothing of the refused roster stays');

      const other = cid('bother');
      await assert.rejects(db.classes.insert(klass(other, 'u-teacher'), [student(other, 'r5aaaaaaaaaa', { email: 'a@b.test' }), student(other, 'r6aaaaaaaaaa', { email: 'A@b.test' })]));
      assert.equal(await db.classes.get(other), undefined, 'a class whose roster failed is not kept');
    });

    it('binds a row to the first account only, once per class, and undoes a bind', async () => {
      const db = await open();
      const id = cid('cbind');
      const [a, b] = [student(id, 'r7aaaaaaaaaa'), student(id, 'r8aaaaaaaaaa')];
      await db.classes.insert(klass(id, 'u-teacher'), [a, b]);
      const results = await Promise.all([db.classes.bind(a.id, 'u-one', AT), db.classes.bind(a.id, 'u-two', AT)]);
      assert.deepEqual(results.sort(), ['bound', 'taken']);
      const holder = (await db.classes.student(a.id))!.accountId!;
      assert.equal(await db.classes.bind(a.id, holder, AT), 'bound', 'the holder opening it again is no conflict');
      assert.equal(await db.classes.bind(b.id, holder, AT), 'member', 'one row per account in a class');
      assert.deepEqual((await db.classes.attending(holder)).map((x) => [x.klass.id, x.student.id]), [[id, a.id]]);
      await db.classes.unbind(a.id, holder);
      assert.equal((await db.classes.student(a.id))?.accountId, undefined);
    });

    it('finds a row by its link hash until revoked, and keeps class codes unique', async () => {
      const db = await open();
      const id = cid('dlinks');
      const a = student(id, 'r9aaaaaaaaaa', { linkHash: 'h'.repeat(64) });
      await db.classes.insert(klass(id, 'u-teacher', { code: 'WXYZ-2345' }), [a]);
      assert.equal((await db.classes.studentByLinkHash('h'.repeat(64)))?.id, a.id);
      await db.classes.setLinkHash(a.id, null);
      assert.equal(await db.classes.studentByLinkHash('h'.repeat(64)), undefined);
      const other = cid('ecodes');
      await db.classes.insert(klass(other, 'u-teacher'), []);
      assert.equal(await db.classes.setCode(other, 'WXYZ-2345'), false, 'taken by the first class');
      assert.equal(await db.classes.setCode(other, 'WXYZ-2346'), true);
      await db.classes.delete(id);
      assert.equal(await db.classes.get(id), undefined);
    });

    it('hands a repl to a new owner only while the expected one still owns it', async () => {
      const db = await open();
      const records = [replRecord('class:cls_xxxxxxxxxxxxxxxx'), replRecord('class:cls_xxxxxxxxxxxxxxxx')];
      await db.repls.insertMany(records);
      const id = records[0]!.id;
      const outcomes = await Promise.all([db.repls.reassignOwner(id, 'class:cls_xxxxxxxxxxxxxxxx', 'u-a'), db.repls.reassignOwner(id, 'class:cls_xxxxxxxxxxxxxxxx', 'u-b')]);
      assert.deepEqual(outcomes.sort(), [false, true]);
      assert.ok(['u-a', 'u-b'].includes((await db.repls.get(id))!.owner));
      assert.equal((await db.repls.listByOwner('class:cls_xxxxxxxxxxxxxxxx')).length, 1);
    });
  });
}
