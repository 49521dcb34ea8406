import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { databaseOpener, type DatabaseTarget } from './db-test-helpers.js';
import { replRecord } from './describe-repositories.js';

/**
 * A repl's own limits (migration 012): its memory limit, and whose always-on allowance it uses
 * (a class's teacher granting always-on to the class's student repls, counted in one statement).
 */
export function describeReplLimits(name: string, make: () => Promise<DatabaseTarget>, options: { skip?: string } = {}): void {
  describe(`repl limits on ${name}`, { skip: options.skip }, () => {
    const open = databaseOpener(make);

    it("keeps a repl's own memory limit from insert, through an update and a change of owner; none for a repl without", async () => {
      const database = await open();
      const [limited, plain] = [replRecord('class:cls_mem', 0, { memoryMb: 512 }), replRecord('class:cls_mem', 1)];
      await database.repls.insertMany([limited, plain]);
      assert.equal((await database.repls.get(limited.id))?.memoryMb, 512);
      assert.equal((await database.repls.get(plain.id))?.memoryMb, undefined);
      assert.equal((await database.repls.update(limited.id, (r) => ({ ...r, name: 'renamed', memoryMb: 4096 })))?.memoryMb, 512, 'update() never writes it');
      assert.equal(await database.repls.reassignOwner(limited.id, 'class:cls_mem', 'u-student-mem'), true);
      assert.equal((await database.repls.get(limited.id))?.memoryMb, 512, 'the student gets the repl with its limit');
      const own = replRecord('u-own-mem', 0, { memoryMb: 300 });
      assert.equal(await database.repls.insertWithinLimit(own, 5), true);
      assert.equal((await database.repls.get(own.id))?.memoryMb, 300);
    });

    it("grants always-on to a class's repls on the teacher's allowance, all or none, and not on the student's", async () => {
      const database = await open();
      const teacher = 'u-teacher-grant';
      const mine = replRecord(teacher);
      assert.equal(await database.repls.insertWithinLimit(mine, 10), true);
      assert.equal(await database.repls.setAlwaysOn(mine.id, teacher, true, 3), 'changed');
      const students = [replRecord('class:cls_grant', 0), replRecord('class:cls_grant', 1), replRecord('class:cls_grant', 2)];
      await database.repls.insertMany(students);
      const ids = students.map((s) => s.id);
      assert.equal(await database.repls.grantAlwaysOn(ids, teacher, 3), 'limit', '1 used + 3 > 3');
      for (const id of ids) assert.equal((await database.repls.get(id))?.alwaysOn, undefined, 'nothing changed');
      assert.equal(await database.repls.grantAlwaysOn(ids, teacher, 4), 'granted');
      for (const id of ids) assert.deepEqual([(await database.repls.get(id))?.alwaysOn, (await database.repls.get(id))?.alwaysOnBy], [true, teacher]);
      assert.deepEqual((await database.repls.alwaysOnOf(teacher)).map((r) => r.id).sort(), [mine.id, ...ids].sort());
      assert.equal(await database.repls.grantAlwaysOn(ids, teacher, 4), 'granted', 'granting again counts them once');

      // Handed to a student: still always on, still the teacher's; the student's own allowance is untouched.
      const student = 'u-student-grant';
      assert.equal(await database.repls.reassignOwner(ids[0]!, 'class:cls_grant', student), true);
      const handed = await database.repls.get(ids[0]!);
      assert.deepEqual([handed?.owner, handed?.alwaysOn, handed?.alwaysOnBy], [student, true, teacher]);
      assert.deepEqual(await database.repls.alwaysOnOf(student), []);
      const theirs = replRecord(student, 1);
      assert.equal(await database.repls.insertWithinLimit(theirs, 10), true);
      assert.equal(await database.repls.setAlwaysOn(theirs.id, student, true, 1), 'changed', "the student's one always-on repl of their own");
      assert.deepEqual((await database.repls.alwaysOnOf(student)).map((r) => r.id), [theirs.id]);
      // The student turning the class repl off frees the teacher's place.
      assert.equal(await database.repls.setAlwaysOn(ids[0]!, student, false, 0), 'changed');
      assert.equal((await database.repls.alwaysOnOf(teacher)).length, 3);
      assert.equal((await database.repls.get(ids[0]!))?.alwaysOnBy, undefined);
    });

    it("migrates a database from before 012: a repl already always on is its owner's, on its owner's allowance", async () => {
      const database = await open();
      const [on, off] = [replRecord('u-before-012'), replRecord('u-before-012', 1)];
      for (const record of [on, off]) assert.equal(await database.repls.insertWithinLimit(record, 10), true);
      assert.equal(await database.repls.setAlwaysOn(on.id, 'u-before-012', true, 1), 'changed');
      // Back to 011, the flag kept, as an older portal would have left it (013 to 015, which sort after 012, undone too).
      const undo013 = ['drop index grade_results_status', 'drop index grade_runs_unfinished', ...['repl_id', 'claimed_by', 'lease_until', 'attempts'].map((c) => `alter table grade_results drop column ${c}`)];
      for (const statement of ['alter table repls drop column secrets_revision', 'drop table repl_secrets', ...undo013, 'drop index repls_always_on_by', 'alter table repls drop column always_on_by', 'alter table repls drop column memory_mb', "delete from kysely_migration where name >= '012-repl-limits'"]) {
        await sql.raw(statement).execute(database.db);
      }
      const again = await open();
      assert.deepEqual([(await again.repls.get(on.id))?.alwaysOnBy, (await again.repls.get(off.id))?.alwaysOnBy], ['u-before-012', undefined]);
      assert.equal(await again.repls.setAlwaysOn(off.id, 'u-before-012', true, 1), 'limit', 'the allowance of 1 is in use');
    });

    it('two portals granting at once cannot overrun one allowance', async () => {
      const [one, two] = [await open(), await open()];
      const teacher = 'u-teacher-race';
      const a = [replRecord('class:cls_ra'), replRecord('class:cls_ra', 1)];
      const b = [replRecord('class:cls_rb'), replRecord('class:cls_rb', 1)];
      await one.repls.insertMany([...a, ...b]);
      const raced = await Promise.all([one.repls.grantAlwaysOn(a.map((r) => r.id), teacher, 3), two.repls.grantAlwaysOn(b.map((r) => r.id), teacher, 3)]);
      assert.deepEqual(raced.sort(), ['granted', 'limit']);
      assert.equal((await one.repls.alwaysOnOf(teacher)).length, 2);
    });
  });
}
