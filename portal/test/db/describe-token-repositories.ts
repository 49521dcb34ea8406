import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { Accounts, hashToken } from '../../src/accounts/accounts.js';
import type { Database } from '../../src/db/open-database.js';
import type { ApiTokenRecord } from '../../src/db/token-repository.js';
import { ApiTokens } from '../../src/tokens/api-tokens.js';
import { DeviceFlow } from '../../src/tokens/device-flow.js';
import { databaseOpener, type DatabaseTarget } from './db-test-helpers.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0);
const iso = (ms: number): string => new Date(ms).toISOString();

function tokenRecord(accountId: string, fields: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  const id = `t${Math.random().toString(16).slice(2).padEnd(20, '0').slice(0, 20)}`;
  return { id, tokenHash: hashToken(`cyp_${id}`), accountId, name: `token ${id}`, scopes: ['read', 'write'], createdAt: iso(T0), expiresAt: iso(T0 + 86_400_000), lastUsedAt: null, revokedAt: null, ...fields };
}

/** An error's code, or what was thrown. */
async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'no error';
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
}

/**
 * API tokens and device sign-ins on every dialect (SQLite always, PostgreSQL when one is given),
 * through two connections where it matters: what one portal writes, another reads and races.
 */
export function describeTokenRepositories(name: string, make: () => Promise<DatabaseTarget>, options: { skip?: string } = {}): void {
  describe(`token repositories on ${name}`, { skip: options.skip }, () => {
    const open = databaseOpener(make);

    it('keeps tokens by hash, lists an account’s own unrevoked ones newest first, and revokes only its own', async () => {
      const [one, two] = [await open(), await open()];
      const older = tokenRecord('u-tok-a', { createdAt: iso(T0 - 60_000) });
      const newer = tokenRecord('u-tok-a');
      const other = tokenRecord('u-tok-b');
      for (const r of [older, newer, other]) await one.apiTokens.insert(r);
      assert.deepEqual(await two.apiTokens.byTokenHash(newer.tokenHash), newer);
      assert.equal(await two.apiTokens.byTokenHash(hashToken('cyp_nothing')), undefined);
      assert.deepEqual((await two.apiTokens.listByAccount('u-tok-a')).map((r) => r.id), [newer.id, older.id]);
      assert.equal(await two.apiTokens.revoke('u-tok-b', older.id, iso(T0)), false, "another account's token");
      assert.equal(await two.apiTokens.revoke('u-tok-a', older.id, iso(T0)), true);
      assert.equal(await one.apiTokens.revoke('u-tok-a', older.id, iso(T0)), false, 'revoked once');
      assert.deepEqual((await one.apiTokens.listByAccount('u-tok-a')).map((r) => r.id), [newer.id]);
      assert.equal((await one.apiTokens.byTokenHash(older.tokenHash))?.revokedAt, iso(T0), 'kept, marked revoked');
      assert.deepEqual((await two.apiTokens.revokedSince(iso(T0))).filter((r) => r.id === older.id), [{ id: older.id, revokedAt: iso(T0) }], 'listed for the proxy from its time on');
      assert.deepEqual((await two.apiTokens.revokedSince(iso(T0 + 1))).filter((r) => r.id === older.id), [], 'not from a later time');
      await assert.rejects(one.apiTokens.insert({ ...tokenRecord('u-tok-c'), tokenHash: newer.tokenHash }), 'one row per token hash');
    });

    it('counts working tokens only, and records a last use at most once per interval across connections', async () => {
      const [one, two] = [await open(), await open()];
      const live = tokenRecord('u-tok-count');
      await one.apiTokens.insert(live);
      await one.apiTokens.insert(tokenRecord('u-tok-count', { expiresAt: iso(T0 - 1) }));
      await one.apiTokens.insert(tokenRecord('u-tok-count', { revokedAt: iso(T0) }));
      assert.equal(await two.apiTokens.countActive('u-tok-count', iso(T0)), 1);

      assert.equal(await one.apiTokens.touch(live.id, iso(T0), iso(T0 - 60_000)), true, 'first use');
      assert.equal(await two.apiTokens.touch(live.id, iso(T0 + 30_000), iso(T0 - 30_000)), false, 'within the minute, on the other connection');
      assert.equal((await two.apiTokens.byId(live.id))?.lastUsedAt, iso(T0));
      assert.equal(await two.apiTokens.touch(live.id, iso(T0 + 61_000), iso(T0 + 1_000)), true, 'a minute later');
      assert.equal((await one.apiTokens.byId(live.id))?.lastUsedAt, iso(T0 + 61_000));
    });

    it('answers a device sign-in on one connection that another started; approval, slow-down and the token hand-out each happen once', async () => {
      const [one, two] = [await open(), await open()];
      let now = T0;
      const clock = () => now;
      const flow = (db: Database) => {
        const accounts = new Accounts(db.accounts);
        return new DeviceFlow({ repository: db.deviceCodes, tokens: new ApiTokens({ repository: db.apiTokens, accounts, now: clock }), accounts, portalOrigin: 'http://localhost:8080', now: clock });
      };
      const [a, b] = [flow(one), flow(two)];
      await one.accounts.insertAnonymous(hashToken('cy_device_owner'), { id: 'u-device-owner', createdAt: iso(T0) });
      const account = (await one.accounts.byId('u-device-owner'))!;

      const started = await a.start({ client: 'codeyard CLI', name: 'codeyard CLI on test' }, '127.0.0.1');
      assert.equal(await codeOf(b.poll(started.deviceCode)), 'AUTHORIZATION_PENDING');
      assert.equal(await codeOf(a.poll(started.deviceCode)), 'SLOW_DOWN', 'the other portal saw the poll');
      now += 5_000;
      assert.equal(await codeOf(a.poll(started.deviceCode)), 'SLOW_DOWN', 'the interval grew to 10 s, counted from the last poll');
      assert.equal((await two.deviceCodes.byDeviceCodeHash(hashToken(started.deviceCode)))?.intervalSeconds, 15);

      assert.equal((await b.request(started.userCode.toLowerCase().replace('-', ' '))).client, 'codeyard CLI', 'case and separators do not matter');
      const answers = await Promise.allSettled([a.answer(started.userCode, account, true), b.answer(started.userCode, account, false)]);
      assert.equal(answers.filter((r) => r.status === 'fulfilled').length, 1, 'one answer wins');
      const won = answers.find((r) => r.status === 'fulfilled')!.value.status;

      now += 15_000;
      const polls = await Promise.allSettled([a.poll(started.deviceCode), b.poll(started.deviceCode)]);
      const granted = polls.filter((r) => r.status === 'fulfilled');
      assert.equal(granted.length, won === 'approved' ? 1 : 0, 'the token is handed out once, and only when approved');
      assert.equal((await two.apiTokens.listByAccount('u-device-owner')).length, granted.length);
      if (won === 'approved') assert.equal(granted[0]!.value.account.id, 'u-device-owner');
      // The poll that lost the race was a poll too soon: the interval grew again.
      now += 60_000;
      assert.equal(await codeOf(b.poll(started.deviceCode)), won === 'approved' ? 'EXPIRED_TOKEN' : 'ACCESS_DENIED', 'a used code is refused; a denied one stays denied');
    });

    it('lets exactly one connection take an approved sign-in to used', async () => {
      const [one, two] = [await open(), await open()];
      const record = { id: 'd-consume-race', deviceCodeHash: hashToken('device-race'), userCodeHash: hashToken('BCDFGHJK-race'), client: 'cli', name: 'cli', address: '127.0.0.1', createdAt: T0, expiresAt: T0 + 600_000, intervalSeconds: 5 };
      await one.deviceCodes.insert(record);
      assert.equal(await two.deviceCodes.consume(record.id, T0), false, 'a pending sign-in is not used up');
      assert.equal(await one.deviceCodes.answer(record.id, true, 'u-race', T0), true);
      assert.equal(await two.deviceCodes.answer(record.id, false, 'u-other', T0), false, 'answered once');
      const taken = await Promise.all([one.deviceCodes.consume(record.id, T0), two.deviceCodes.consume(record.id, T0)]);
      assert.deepEqual(taken.sort(), [false, true]);
      assert.equal((await one.deviceCodes.byDeviceCodeHash(record.deviceCodeHash))?.status, 'used');
    });

    it('keeps only hashes of the codes, refuses an expired sign-in and sweeps it', async () => {
      const database = await open();
      let now = T0;
      const accounts = new Accounts(database.accounts);
      const tokens = new ApiTokens({ repository: database.apiTokens, accounts, now: () => now });
      const flow = new DeviceFlow({ repository: database.deviceCodes, tokens, accounts, portalOrigin: 'http://localhost:8080', now: () => now });
      const started = await flow.start({ client: 'desktop' }, '127.0.0.2');
      const rows = await database.db.selectFrom('device_codes').selectAll().execute();
      const stored = JSON.stringify(rows);
      assert.ok(!stored.includes(started.deviceCode) && !stored.includes(started.userCode) && !stored.includes(started.userCode.replace('-', '')), 'neither code is stored as such');
      const before = await database.deviceCodes.countPending(now);
      now += 10 * 60_000;
      assert.equal(await codeOf(flow.poll(started.deviceCode)), 'EXPIRED_TOKEN');
      assert.equal(await codeOf(flow.request(started.userCode)), 'NOT_FOUND');
      assert.equal(await database.deviceCodes.countPending(now), before - 1);
      assert.ok((await database.deviceCodes.sweep(now + 1)) >= 1);
      assert.equal(await database.deviceCodes.byDeviceCodeHash(hashToken(started.deviceCode)), undefined);
    });
  });
}
