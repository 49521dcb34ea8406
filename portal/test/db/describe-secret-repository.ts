import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { databaseOpener, type DatabaseTarget } from './db-test-helpers.js';
import { replRecord } from './describe-repositories.js';

/** Repl secrets' rows (migration 014): stored as given (the caller encrypts), by name, gone with their repl. */
export function describeSecretRepository(name: string, make: () => Promise<DatabaseTarget>, options: { skip?: string } = {}): void {
  describe(`repl secrets on ${name}`, { skip: options.skip }, () => {
    const open = databaseOpener(make);

    it('adds, replaces, lists by name, deletes one, and keeps each repl apart', async () => {
      const database = await open();
      const [a, b] = [replRecord('u-secrets'), replRecord('u-secrets', 1)];
      await database.repls.insertMany([a, b]);
      assert.equal(await database.secrets.put(a.id, { name: 'ZED', value: 'v1.a', updatedAt: '2026-01-01T00:00:00.000Z' }), 'created');
      assert.equal(await database.secrets.put(a.id, { name: 'ALPHA', value: 'v1.b', updatedAt: '2026-01-01T00:00:01.000Z' }), 'created');
      assert.equal(await database.secrets.put(a.id, { name: 'ZED', value: 'v1.c', updatedAt: '2026-01-01T00:00:02.000Z' }), 'replaced');
      assert.equal(await database.secrets.put(b.id, { name: 'ZED', value: 'v1.other', updatedAt: '2026-01-01T00:00:03.000Z' }), 'created', 'the same name in another repl');
      assert.deepEqual(await database.secrets.list(a.id), [
        { name: 'ALPHA', value: 'v1.b', updatedAt: '2026-01-01T00:00:01.000Z' },
        { name: 'ZED', value: 'v1.c', updatedAt: '2026-01-01T00:00:02.000Z' },
      ]);
      assert.equal(await database.secrets.delete(a.id, 'ZED'), true);
      assert.equal(await database.secrets.delete(a.id, 'ZED'), false, 'already gone');
      assert.deepEqual((await database.secrets.list(b.id)).map((s) => s.value), ['v1.other'], "another repl's untouched");
    });

    it('deletes the rows with their repl (the foreign key), and refuses a row for no repl', async () => {
      const database = await open();
      const repl = replRecord('u-secrets-gone');
      await database.repls.insertMany([repl]);
      await database.secrets.put(repl.id, { name: 'GONE', value: 'v1.x', updatedAt: '2026-01-01T00:00:00.000Z' });
      assert.equal(await database.repls.delete(repl.id), true);
      assert.deepEqual(await database.secrets.list(repl.id), []);
      await assert.rejects(database.secrets.put(repl.id, { name: 'ORPHAN', value: 'v1.x', updatedAt: '2026-01-01T00:00:00.000Z' }), 'no row without its repl');
    });
  });
}
