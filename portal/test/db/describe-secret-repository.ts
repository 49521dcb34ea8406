import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { SECRETS_MAX } from '@codeyard/common/secrets';
import { sql } from 'kysely';
import { withinLimits } from '../../src/secrets/repl-secrets.js';
import { databaseOpener, type DatabaseTarget } from './db-test-helpers.js';
import { replRecord } from './describe-repositories.js';

const at = (s: number): string => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;
const anything = (): void => {};

/**
 * Repl secrets' rows (migration 014) and their revision (015): stored as given (the caller
 * encrypts), by name, gone with their repl; every write and delete bumps the revision in its
 * transaction, and the caller's limits hold however many write at once.
 */
export function describeSecretRepository(name: string, make: () => Promise<DatabaseTarget>, options: { skip?: string } = {}): void {
  describe(`repl secrets on ${name}`, { skip: options.skip }, () => {
    const open = databaseOpener(make);

    it('adds, replaces, lists by name, deletes one, and keeps each repl apart', async () => {
      const database = await open();
      const [a, b] = [replRecord('u-secrets'), replRecord('u-secrets', 1)];
      await database.repls.insertMany([a, b]);
      assert.equal((await database.secrets.put(a.id, { name: 'ZED', value: 'v1.a', updatedAt: at(0) }, anything)).outcome, 'created');
      assert.equal((await database.secrets.put(a.id, { name: 'ALPHA', value: 'v1.b', updatedAt: at(1) }, anything)).outcome, 'created');
      assert.equal((await database.secrets.put(a.id, { name: 'ZED', value: 'v1.c', updatedAt: at(2) }, anything)).outcome, 'replaced');
      assert.equal((await database.secrets.put(b.id, { name: 'ZED', value: 'v1.other', updatedAt: at(3) }, anything)).outcome, 'created', 'the same name in another repl');
      assert.deepEqual(await database.secrets.list(a.id), [
        { name: 'ALPHA', value: 'v1.b', updatedAt: at(1) },
        { name: 'ZED', value: 'v1.c', updatedAt: at(2) },
      ]);
      assert.notEqual(await database.secrets.delete(a.id, 'ZED'), undefined);
      assert.equal(await database.secrets.delete(a.id, 'ZED'), undefined, 'already gone');
      assert.deepEqual((await database.secrets.list(b.id)).map((s) => s.value), ['v1.other'], "another repl's untouched");
    });

    it('bumps the revision with every write and delete, in one read with the set, and never for a refused write or a missing name', async () => {
      const database = await open();
      const repl = replRecord('u-secrets-revision');
      await database.repls.insertMany([repl]);
      assert.deepEqual(await database.secrets.read(repl.id), { revision: 0, secrets: [] }, 'never had one: revision 0');
      assert.equal((await database.secrets.put(repl.id, { name: 'ONE', value: 'v1.a', updatedAt: at(0) }, anything)).revision, 1);
      assert.equal((await database.secrets.put(repl.id, { name: 'ONE', value: 'v1.b', updatedAt: at(1) }, anything)).revision, 2, 'a replace too');
      assert.equal((await database.secrets.put(repl.id, { name: 'TWO', value: 'v1.c', updatedAt: at(2) }, anything)).revision, 3);
      await assert.rejects(
        database.secrets.put(repl.id, { name: 'REFUSED', value: 'v1.d', updatedAt: at(3) }, () => {
          throw new AppError('LIMIT_REACHED', 'refused by the caller');
        }),
        /refused by the caller/,
      );
      assert.equal(await database.secrets.delete(repl.id, 'NONE'), undefined);
      assert.deepEqual(await database.secrets.read(repl.id), { revision: 3, secrets: [{ name: 'ONE', value: 'v1.b', updatedAt: at(1) }, { name: 'TWO', value: 'v1.c', updatedAt: at(2) }] }, 'nothing written, nothing bumped');
      assert.equal(await database.secrets.delete(repl.id, 'ONE'), 4);
      assert.equal(await database.secrets.delete(repl.id, 'TWO'), 5);
      assert.deepEqual(await database.secrets.read(repl.id), { revision: 5, secrets: [] }, 'none left: the revision stays up');
      const other = replRecord('u-secrets-revision', 1);
      await database.repls.insertMany([other]);
      assert.equal((await database.secrets.read(other.id)).revision, 0, "another repl's is its own");
    });

    it(`holds the limits under parallel writes: 20 at once on a repl with ${SECRETS_MAX - 5} end at exactly ${SECRETS_MAX}, the rest refused`, async () => {
      // Two portals on PostgreSQL (each its own pool); on SQLite the one portal a file has.
      const [one, two] = name === 'PostgreSQL' ? [await open(), await open()] : await open().then((d) => [d, d]);
      const repl = replRecord('u-secrets-race');
      await one.repls.insertMany([repl]);
      for (let i = 0; i < SECRETS_MAX - 5; i++) await one.secrets.put(repl.id, { name: `S${i}`, value: 'v1.x.y.eA', updatedAt: at(0) }, (others) => withinLimits(others, 'x'));
      const before = (await one.secrets.read(repl.id)).revision;
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).secrets.put(repl.id, { name: `RACE${i}`, value: 'v1.x.y.eA', updatedAt: at(1) }, (others) => withinLimits(others, 'x'))),
      );
      const refused = results.filter((r) => r.status === 'rejected');
      assert.equal(results.length - refused.length, 5, 'five fitted');
      assert.ok(refused.every((r) => r.reason instanceof AppError && r.reason.code === 'LIMIT_REACHED'), `every other one refused with the limit: ${refused.map((r) => String(r.reason)).join('; ')}`);
      const after = await one.secrets.read(repl.id);
      assert.equal(after.secrets.length, SECRETS_MAX);
      assert.equal(after.revision, before + 5, 'one bump per write that happened');
    });

    it('deletes the rows with their repl (the foreign key), and refuses a row for no repl', async () => {
      const database = await open();
      const repl = replRecord('u-secrets-gone');
      await database.repls.insertMany([repl]);
      await database.secrets.put(repl.id, { name: 'GONE', value: 'v1.x', updatedAt: at(0) }, anything);
      assert.equal(await database.repls.delete(repl.id), true);
      assert.deepEqual(await database.secrets.list(repl.id), []);
      await assert.rejects(database.secrets.put(repl.id, { name: 'ORPHAN', value: 'v1.x', updatedAt: at(0) }, anything), /no repl/, 'no row without its repl');
    });

    it('migrates a database from before 015: a repl that has secrets starts at revision 1 (its next start pushes them), one without at 0', async () => {
      const database = await open();
      const [withSecrets, without] = [replRecord('u-before-015'), replRecord('u-before-015', 1)];
      await database.repls.insertMany([withSecrets, without]);
      await database.secrets.put(withSecrets.id, { name: 'OLD', value: 'v1.x', updatedAt: at(0) }, anything);
      for (const statement of ['alter table repls drop column secrets_revision', "delete from kysely_migration where name = '015-secret-revisions'"]) await sql.raw(statement).execute(database.db);
      const again = await open();
      assert.deepEqual([(await again.secrets.read(withSecrets.id)).revision, (await again.secrets.read(without.id)).revision], [1, 0]);
    });
  });
}
