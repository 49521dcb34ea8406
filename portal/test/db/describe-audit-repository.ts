import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Audit } from '../../src/audit/audit.js';
import { databaseOpener, type DatabaseTarget } from './db-test-helpers.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0);
const DAY = 24 * 3600_000;
const quiet = { error() {}, warn() {} };

/**
 * The audit log's storage on every dialect (SQLite always, PostgreSQL when one is given), through
 * the Audit service as the portal writes it: order, filters, paging across two portals' writes,
 * exports longer than one batch, and the retention sweep.
 */
export function describeAuditRepository(name: string, make: () => Promise<DatabaseTarget>, options: { skip?: string } = {}): void {
  describe(`audit log on ${name}`, { skip: options.skip }, () => {
    const open = databaseOpener(make);

    it('keeps events of two portals in one log, newest first, in the order each wrote them within a millisecond', async () => {
      const [one, two] = [await open(), await open()];
      const clock = { now: T0 };
      const a = new Audit({ repository: one.audit, retentionMs: 180 * DAY, now: () => clock.now, log: quiet });
      const b = new Audit({ repository: two.audit, retentionMs: 180 * DAY, now: () => clock.now, log: quiet });
      await one.accounts.insertUser({ id: 'u-audit-actor', createdAt: new Date(T0).toISOString(), email: 'actor@example.test', emailVerified: true });
      for (let i = 0; i < 3; i++) await a.record({ kind: 'admin.role', actor: { accountId: 'u-audit-actor', credential: { kind: 'session', id: 's1' } }, target: { type: 'account', id: `u-t${i}`, account: `u-t${i}` }, address: '192.0.2.1', details: { step: i } });
      clock.now += 1000;
      await b.record({ kind: 'signin.failed', address: '192.0.2.2', details: { email: 'who@example.test' } });

      const page = await b.page({}, 10);
      assert.deepEqual(page.events.map((e) => e.kind), ['signin.failed', 'admin.role', 'admin.role', 'admin.role']);
      assert.deepEqual(page.events.slice(1).map((e) => e.details.step), [2, 1, 0], 'newest first within one millisecond too');
      const [failed, role] = page.events;
      assert.deepEqual([failed!.account, failed!.credential, failed!.accountEmail], [null, null, null]);
      assert.deepEqual([role!.account, role!.accountEmail, role!.credential, role!.credentialId], ['u-audit-actor', 'actor@example.test', 'session', 's1']);
      assert.deepEqual((await a.page({ account: 'u-t1' }, 10)).events.map((e) => e.targetId), ['u-t1'], 'about an account');
      assert.deepEqual((await a.page({ account: 'u-audit-actor' }, 10)).events.length, 3, 'by an account');
      assert.equal((await a.page({ kind: 'signin.' }, 10)).events.length, 1, 'a kind prefix');
      assert.equal((await a.page({ kind: 'signin' }, 10)).events.length, 0, 'an exact kind');
    });

    it('exports more events than one batch, each once, and pages through them with cursors', async () => {
      const database = await open();
      let now = T0 + DAY;
      const audit = new Audit({ repository: database.audit, retentionMs: 180 * DAY, now: () => now, log: quiet });
      for (let i = 0; i < 1100; i++) {
        if (i % 7 === 0) now += 1; // several events share a millisecond, as a busy server's do
        await audit.record({ kind: 'token.use', actor: { accountId: 'u-bulk' }, target: { type: 'token', id: `t${i}`, account: 'u-bulk' }, details: { i } });
      }
      const lines: string[] = [];
      for await (const line of audit.export({ account: 'u-bulk' }, 'jsonl')) lines.push(line);
      const ids = lines.map((line) => (JSON.parse(line) as { details: { i: number } }).details.i);
      assert.equal(ids.length, 1100);
      assert.deepEqual(ids, [...ids].sort((x, y) => y - x), 'newest first, across batches');
      let cursor: string | undefined;
      const paged: number[] = [];
      for (let pages = 0; pages < 20; pages++) {
        const page = await audit.page({ account: 'u-bulk' }, 200, cursor);
        paged.push(...page.events.map((e) => e.details.i as number));
        if (!page.next) break;
        cursor = page.next;
      }
      assert.deepEqual(paged, ids);
      const csv: string[] = [];
      for await (const line of audit.export({ account: 'u-bulk', since: new Date(T0 + DAY + 100).toISOString() }, 'csv')) csv.push(line);
      assert.ok(csv[0]!.startsWith('id,at,kind'));
      assert.ok(csv.length > 1 && csv.length < 1101, 'since narrows it');
    });

    it('deletes events past the retention, and only those', async () => {
      const database = await open();
      const clock = { now: T0 };
      const audit = new Audit({ repository: database.audit, retentionMs: 30 * DAY, now: () => clock.now, log: quiet });
      await audit.record({ kind: 'signin', actor: { accountId: 'u-old' } });
      clock.now += 20 * DAY;
      await audit.record({ kind: 'signin', actor: { accountId: 'u-new' } });
      clock.now += 11 * DAY;
      const before = (await audit.page({ kind: 'signin' }, 200)).events.filter((e) => e.account === 'u-old' || e.account === 'u-new').length;
      assert.equal(before, 2);
      assert.ok((await audit.sweep()) >= 1);
      const left = (await audit.page({ kind: 'signin' }, 200)).events.map((e) => e.account);
      assert.ok(left.includes('u-new') && !left.includes('u-old'), '31 days old goes, 11 days old stays');
    });
  });
}
