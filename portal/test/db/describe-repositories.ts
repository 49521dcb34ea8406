import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { newReplId } from '@codeyard/common/repl-id';
import { Accounts, hashToken } from '../../src/accounts/accounts.js';
import type { Account } from '../../src/db/account-repository.js';
import type { ReplRecordEvent } from '../../src/db/event-bus.js';
import { importStoreRecords } from '../../src/db/import-store-records.js';
import type { Database } from '../../src/db/open-database.js';
import type { ReplRecord } from '../../src/repls/repl-record.js';
import { FsStore } from '../../src/store/fs-store.js';
import { databaseOpener, type DatabaseTarget, firstEvent, quietLog } from './db-test-helpers.js';

export type { DatabaseTarget };
import { writeStoreLayoutFixture } from './store-layout-fixture.js';

/** Test data kept in the source tree (not copied to dist/). */
const FIXTURES = fileURLToPath(new URL('../../../test/db/fixtures/', import.meta.url));

/** A repl record of `owner`, created `minutesAgo` before a fixed time. */
export function replRecord(owner: string, minutesAgo = 0, fields: Partial<ReplRecord> = {}): ReplRecord {
  const id = newReplId();
  return {
    id,
    name: `repl ${id}`,
    stack: 'node',
    owner,
    createdAt: new Date(Date.UTC(2026, 0, 1, 12, 0) - minutesAgo * 60_000).toISOString(),
    templateVersion: 'v1',
    manifest: { id: 'node', name: 'Node.js', port: 3000, main: 'index.js' } as unknown as ReplRecord['manifest'],
    ...fields,
  };
}

/** An account of a data folder from before sign-in, as it reads now: anonymous, a member. */
export function anonymous(account: { id: string; createdAt: string }): Account {
  return { ...account, emailVerified: false, role: 'member', disabled: false, anonymous: true };
}

/** The repository suite, run on every dialect (SQLite always, PostgreSQL when one is given). */
export function describeRepositories(name: string, make: () => Promise<DatabaseTarget>, options: { skip?: string } = {}): void {
  describe(`repositories on ${name}`, { skip: options.skip }, () => {
    const open = databaseOpener(make);

    it('migrates once: opening again finds the schema current', async () => {
      const a = await open();
      const b = await open();
      assert.equal(a.dialect, b.dialect);
      assert.deepEqual(await b.repls.listByOwner('nobody'), []);
    });

    it('keeps accounts by token hash only', async () => {
      const database = await open();
      const hash = hashToken('cy_example');
      await database.accounts.insertAnonymous(hash, { id: 'u-accounts-1', createdAt: '2026-01-01T00:00:00.000Z' });
      assert.deepEqual(await database.accounts.byTokenHash(hash), anonymous({ id: 'u-accounts-1', createdAt: '2026-01-01T00:00:00.000Z' }));
      assert.equal(await database.accounts.byTokenHash(hashToken('cy_other')), undefined);
      await assert.rejects(database.accounts.insertAnonymous(hash, { id: 'u-accounts-2', createdAt: '2026-01-01T00:00:00.000Z' }), 'one account per token');
    });

    it('marks repls always on within an allowance counted across connections, and keeps the newest activity', async () => {
      const [one, two] = [await open(), await open()];
      const repls = [replRecord('u-always'), replRecord('u-always', 1), replRecord('u-always', 2)];
      for (const record of repls) assert.equal(await one.repls.insertWithinLimit(record, 10), true);
      // Two portals turning on two repls at once with an allowance of 1: exactly one wins.
      const raced = await Promise.all([one.repls.setAlwaysOn(repls[0]!.id, 'u-always', true, 1), two.repls.setAlwaysOn(repls[1]!.id, 'u-always', true, 1)]);
      assert.deepEqual(raced.sort(), ['changed', 'limit']);
      assert.equal((await one.repls.alwaysOnOf('u-always')).length, 1);
      assert.equal(await one.repls.setAlwaysOn(repls[2]!.id, 'u-other', true, 5), 'missing', "another account's repl");
      const on = (await one.repls.alwaysOnOf('u-always'))[0]!;
      assert.equal(await one.repls.setAlwaysOn(on.id, 'u-always', true, 1), 'unchanged');
      assert.equal((await one.repls.get(on.id))?.alwaysOn, true);
      // A rename keeps the flag (update() never writes it).
      assert.equal((await one.repls.update(on.id, (r) => ({ ...r, name: 'renamed' })))?.alwaysOn, true);

      await one.accounts.insertAnonymous(hashToken('cy_always'), { id: 'u-always', createdAt: '2026-01-01T00:00:00.000Z' });
      assert.equal(await one.accounts.alwaysOnAllowance('u-always'), undefined);
      assert.equal(await one.accounts.setAlwaysOnAllowance('u-always', 3), true);
      assert.equal(await two.accounts.alwaysOnAllowance('u-always'), 3);
      assert.equal(await one.accounts.setAlwaysOnAllowance('u-nobody', 3), false);

      await one.activity.record([[repls[0]!.id, 5000], [repls[1]!.id, 7000]]);
      await two.activity.record([[repls[0]!.id, 4000]]);
      assert.deepEqual(Object.fromEntries(await two.activity.lastActive([repls[0]!.id, repls[1]!.id, repls[2]!.id])), { [repls[0]!.id]: 5000, [repls[1]!.id]: 7000 }, 'never moved back');
      await two.activity.forget(repls[0]!.id);
      assert.deepEqual([...(await one.activity.lastActive([repls[0]!.id])).keys()], []);
    });

    it('stores, lists (newest first, own repls only), updates and deletes repls', async () => {
      const database = await open();
      const older = replRecord('u-crud', 10, { origin: { imported: true } });
      const newer = replRecord('u-crud', 1, { ports: { '8080': 'public' }, origin: { forkOf: older.id } });
      const stranger = replRecord('u-crud-other', 0);
      for (const record of [older, newer, stranger]) assert.equal(await database.repls.insertWithinLimit(record, 10), true);
      assert.deepEqual(await database.repls.get(newer.id), newer, 'every field as it went in');
      assert.deepEqual(await database.repls.listByOwner('u-crud'), [newer, older]);
      const renamed = await database.repls.update(older.id, (r) => ({ ...r, name: 'renamed', ports: { '5000': 'private' } }));
      assert.deepEqual(renamed, { ...older, name: 'renamed', ports: { '5000': 'private' } });
      assert.deepEqual(await database.repls.get(older.id), renamed);
      assert.equal(await database.repls.delete(older.id), true);
      assert.equal(await database.repls.delete(older.id), false);
      assert.equal(await database.repls.get(older.id), undefined);
      assert.equal(await database.repls.update(older.id, (r) => r), undefined, 'no update brings a deleted repl back');
      assert.deepEqual(await database.repls.listByOwner('u-crud'), [newer]);
    });

    it('loses no update when two portals change one repl at the same moment', async () => {
      const [a, b] = [await open(), await open()];
      const record = replRecord('u-race');
      await a.repls.insertWithinLimit(record, 10);
      const ports = Array.from({ length: 12 }, (_, i) => 4000 + i);
      await Promise.all(
        ports.flatMap((port, i) => [
          (i % 2 ? a : b).repls.update(record.id, (r) => ({ ...r, ports: { ...r.ports, [String(port)]: 'public' } })),
          (i % 2 ? b : a).repls.update(record.id, (r) => ({ ...r, name: `name ${i}` })),
        ]),
      );
      const last = (await b.repls.get(record.id))!;
      assert.deepEqual(Object.keys(last.ports ?? {}).map(Number).sort(), ports, 'every port change kept');
      assert.match(last.name, /^name \d+$/);
    });

    it('holds the repl limit against concurrent creates from two portals', async () => {
      const [a, b] = [await open(), await open()];
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).repls.insertWithinLimit(replRecord('u-limit', i), 3)));
      assert.equal(results.filter(Boolean).length, 3);
      assert.equal((await a.repls.listByOwner('u-limit')).length, 3);
      assert.equal(await a.repls.insertWithinLimit(replRecord('u-limit-other'), 3), true, 'the limit is per account');
    });

    it('redeems a ticket once, whichever portal is asked, and sweeps expired ones', async () => {
      const [a, b] = [await open(), await open()];
      const expiresAt = Date.now() + 60_000;
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).tickets.redeem('nonce-once', expiresAt)));
      assert.equal(answers.filter(Boolean).length, 1);
      assert.equal(await b.tickets.redeem('nonce-once', expiresAt), false);
      assert.equal(await a.tickets.redeem('nonce-old', Date.now() - 1000), true);
      assert.equal(await a.tickets.sweep(), 1, 'only the expired nonce goes');
      assert.equal(await a.tickets.redeem('nonce-once', expiresAt), false, 'a live nonce stays used');
    });

    it('announces created, updated and deleted repls with their owner', async () => {
      const writer = await open();
      const reader = open.target()!.eventsBetweenConnections ? await open() : writer;
      const record = replRecord('u-events');
      const created = firstEvent<ReplRecordEvent>((l) => reader.events.subscribe(l), (e) => e.id === record.id && e.kind === 'created');
      await writer.repls.insertWithinLimit(record, 10);
      assert.deepEqual(await created, { kind: 'created', owner: 'u-events', id: record.id });
      const updated = firstEvent<ReplRecordEvent>((l) => reader.events.subscribe(l), (e) => e.id === record.id && e.kind === 'updated');
      await writer.repls.update(record.id, (r) => ({ ...r, name: 'new name' }));
      assert.deepEqual(await updated, { kind: 'updated', owner: 'u-events', id: record.id });
      const deleted = firstEvent<ReplRecordEvent>((l) => reader.events.subscribe(l), (e) => e.id === record.id && e.kind === 'deleted');
      await writer.repls.delete(record.id);
      assert.deepEqual(await deleted, { kind: 'deleted', owner: 'u-events', id: record.id });
    });

    it('imports a data folder written by the pre-database portal: every token resolves, every repl is listed as it was', async () => {
      const own = await make();
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-import-'));
      let database: Database | undefined;
      try {
        database = await own.open();
        fs.cpSync(path.join(FIXTURES, 'pre-database-store'), root, { recursive: true });
        const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pre-database-expected.json'), 'utf8')) as { tokens: Array<{ token: string; account: { id: string; createdAt: string } }>; repls: Record<string, ReplRecord[]> };
        const store = await FsStore.open(root);
        const first = await importStoreRecords(store, database, quietLog);
        assert.deepEqual(first, { accounts: 3, repls: 4, removed: 11, unreadable: [] });
        const accounts = new Accounts(database.accounts);
        for (const { token, account } of expected.tokens) assert.deepEqual(await accounts.resolve(token), anonymous(account));
        for (const [owner, repls] of Object.entries(expected.repls)) assert.deepEqual(await database.repls.listByOwner(owner), repls);
        const left: string[] = [];
        for await (const info of store.list('')) left.push(info.key);
        assert.ok(left.length > 0 && left.every((key) => key.startsWith('templates/') || key.startsWith('workspaces/')), `files only: ${left.join(', ')}`);
        // The next start: nothing to import.
        assert.equal(await importStoreRecords(store, database, quietLog), undefined);
        for (const [owner, repls] of Object.entries(expected.repls)) assert.equal((await database.repls.listByOwner(owner)).length, repls.length);
      } finally {
        await database?.close();
        await own.drop();
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    it('moves the records of a data folder made before the database in once, nothing lost', async () => {
      const database = await open();
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-import-'));
      try {
        const store = await FsStore.open(root);
        const fixture = await writeStoreLayoutFixture(store);
        const report = await importStoreRecords(store, database, quietLog);
        assert.deepEqual(report, { accounts: fixture.accounts.length, repls: fixture.repls.length, removed: fixture.recordKeys.length, unreadable: ['repls/broken.json'] });
        for (const { token, account } of fixture.accounts) assert.deepEqual(await database.accounts.byTokenHash(hashToken(token)), anonymous(account), 'every token still resolves, as an anonymous account');
        for (const owner of new Set(fixture.repls.map((r) => r.owner))) {
          const expected = fixture.repls.filter((r) => r.owner === owner).sort((x, y) => (x.createdAt < y.createdAt ? 1 : -1));
          assert.deepEqual(await database.repls.listByOwner(owner), expected, 'names, ports and origins intact, newest first');
        }
        const left: string[] = [];
        for await (const info of store.list('')) left.push(info.key);
        assert.deepEqual(left.sort(), [...fixture.fileKeys, 'repls/broken.json'].sort(), 'only files (and the unreadable record) stay');

        // A later start: nothing to move again, and a repl deleted since stays deleted even if an
        // old object of it turns up (an earlier removal that was interrupted).
        await database.repls.delete(fixture.repls[0]!.id);
        await store.put(`repls/${fixture.repls[0]!.id}.json`, JSON.stringify(fixture.repls[0], null, 2));
        const again = await importStoreRecords(store, database, quietLog);
        assert.deepEqual(again, { accounts: 0, repls: 0, removed: 1, unreadable: ['repls/broken.json'] });
        assert.equal(await database.repls.get(fixture.repls[0]!.id), undefined);
        await store.delete('repls/broken.json');
        assert.equal(await importStoreRecords(store, database, quietLog), undefined, 'a folder with files only: nothing to do');
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });
}
