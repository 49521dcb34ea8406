import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashToken } from '../../src/accounts/secret-tokens.js';
import { databaseOpener, type DatabaseTarget } from './db-test-helpers.js';
import { replRecord } from './describe-repositories.js';

let counter = 0;
/** An id no other test of this run uses (the suite shares one database per dialect). */
const unique = (label: string): string => `${label}-${process.pid}-${++counter}`;

/**
 * Accounts as people (migration 003): users, browser sessions, invites, the server's one-off
 * facts, and the adoption of anonymous accounts' repls, on every dialect. Each check that two
 * portals must agree on (one first admin, one invite use, one owner) runs across two connections.
 */
export function describeAccountRepositories(name: string, make: () => Promise<DatabaseTarget>, options: { skip?: string } = {}): void {
  describe(`account repositories on ${name}`, { skip: options.skip }, () => {
    const open = databaseOpener(make);

    it('makes exactly one first admin when two portals take the first sign-ups at once; later users are members', async () => {
      const [a, b] = [await open(), await open()];
      // An anonymous account (anonymous mode, an old data folder) does not count as a first user.
      await a.accounts.insertAnonymous(hashToken(unique('cy_')), { id: unique('u-anon'), createdAt: '2026-01-01T00:00:00.000Z' });
      assert.equal(await a.accounts.hasAdmin(), false);
      const made = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).accounts.insertUser({ id: unique('u-first'), createdAt: new Date().toISOString(), email: `first${i}@example.com`, emailVerified: false })),
      );
      const roles = made.map((m) => (typeof m === 'string' ? m : m.role)).sort();
      assert.deepEqual(roles, ['admin', 'member', 'member', 'member', 'member', 'member']);
      assert.equal(await b.accounts.hasAdmin(), true);
      const teacher = await a.accounts.insertUser({ id: unique('u-t'), createdAt: new Date().toISOString(), email: 'teacher@example.com', emailVerified: true, name: 'Ada', role: 'teacher', passwordHash: 'scrypt$x' });
      assert.equal(typeof teacher === 'string' ? teacher : teacher.role, 'teacher');
    });

    it('keeps emails unique whatever their capitalization, and finds an account by any spelling', async () => {
      const database = await open();
      const id = unique('u-mail');
      const made = await database.accounts.insertUser({ id, createdAt: '2026-01-02T00:00:00.000Z', email: ' Grace.Hopper@Example.COM ', emailVerified: true, name: 'Grace', role: 'member', passwordHash: 'scrypt$hash' });
      assert.deepEqual(made, { id, createdAt: '2026-01-02T00:00:00.000Z', email: 'Grace.Hopper@Example.COM', emailVerified: true, name: 'Grace', role: 'member', disabled: false, anonymous: false });
      assert.equal((await database.accounts.byEmail('grace.hopper@example.com'))?.id, id);
      assert.equal((await database.accounts.withPasswordHash('GRACE.HOPPER@EXAMPLE.COM'))?.passwordHash, 'scrypt$hash');
      assert.equal(await database.accounts.insertUser({ id: unique('u-mail'), createdAt: '2026-01-02T00:00:00.000Z', email: 'grace.hopper@example.com', emailVerified: false }), 'email-taken');
      // Accounts without an address (the owner, anonymous ones) never collide.
      for (let i = 0; i < 2; i++) assert.notEqual(await database.accounts.insertUser({ id: unique('u-nomail'), createdAt: '2026-01-02T00:00:00.000Z', emailVerified: false, role: 'admin' }), 'email-taken');
      assert.equal(await database.accounts.setDisabled(id, true), true);
      assert.equal((await database.accounts.byId(id))?.disabled, true);
      assert.equal(await database.accounts.setDisabled('u-nobody', true), false);
    });

    it('resolves a live session with its account, and never a revoked, expired or disabled one', async () => {
      const database = await open();
      const made = await database.accounts.insertUser({ id: unique('u-sess'), createdAt: '2026-01-03T00:00:00.000Z', email: `${unique('s')}@example.com`, emailVerified: false, role: 'member' });
      assert.notEqual(made, 'email-taken');
      const account = made as Exclude<typeof made, string>;
      const now = Date.now();
      const session = (id: string, expiresAt: number) => ({ id, accountId: account.id, createdAt: new Date(now).toISOString(), lastSeenAt: new Date(now).toISOString(), expiresAt, userAgent: 'test', address: '127.0.0.1' });
      const [live, old, gone] = [unique('s-live'), unique('s-old'), unique('s-gone')];
      await database.sessions.insert(hashToken(live), session(live, now + 60_000));
      await database.sessions.insert(hashToken(old), session(old, now - 1));
      await database.sessions.insert(hashToken(gone), session(gone, now + 60_000));
      assert.deepEqual((await database.sessions.resolve(hashToken(live), now))?.account, account);
      assert.equal((await database.sessions.resolve(hashToken(live), now))?.session.userAgent, 'test');
      assert.equal(await database.sessions.resolve(hashToken(old), now), undefined, 'expired');
      const revokedAt = new Date().toISOString();
      assert.equal(await database.sessions.revoke(gone, revokedAt), true);
      assert.equal(await database.sessions.revoke(gone, new Date().toISOString()), false, 'revoked once');
      assert.deepEqual((await database.sessions.revokedSince(revokedAt)).filter((r) => r.id === gone), [{ id: gone, revokedAt }], 'listed for the proxy from its time on');
      assert.deepEqual((await database.sessions.revokedSince(new Date(Date.parse(revokedAt) + 1).toISOString())).filter((r) => r.id === gone), [], 'not from a later time');
      assert.equal(await database.sessions.resolve(hashToken(gone), now), undefined, 'revoked');
      await database.sessions.touch(live, '2030-01-01T00:00:00.000Z');
      assert.equal((await database.sessions.byId(live))?.lastSeenAt, '2030-01-01T00:00:00.000Z');
      assert.equal(await database.accounts.setDisabled(account.id, true), true);
      assert.equal(await database.sessions.resolve(hashToken(live), now), undefined, 'a disabled account has no live session');
      assert.equal(await database.sessions.revokeAllOf(account.id, new Date().toISOString()), 2, 'the live one and the expired one; the revoked one stays as it was');
      assert.equal(await database.sessions.sweep(now), 1, 'only the expired one is swept');
      assert.deepEqual((await database.sessions.listOf(account.id)).map((s) => s.id).sort(), [gone, live].sort());
    });

    it('lets exactly one of two portals use an invite, and gives a released one back', async () => {
      const [a, b] = [await open(), await open()];
      const token = unique('cyi_');
      const id = unique('i');
      await a.invites.insert(hashToken(token), { id, email: 'New.Member@Example.com', role: 'member', createdBy: 'u-admin', createdAt: new Date().toISOString(), expiresAt: Date.now() + 60_000 });
      const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).invites.claim(hashToken(token), Date.now(), new Date().toISOString())));
      assert.equal(claims.filter(Boolean).length, 1);
      const claimed = claims.find(Boolean)!;
      assert.equal(claimed.email, 'New.Member@Example.com');
      assert.ok(claimed.usedAt);
      await a.invites.release(claimed.id);
      assert.ok(await b.invites.claim(hashToken(token), Date.now(), new Date().toISOString()), 'released: usable again');
      await b.invites.setUsedBy(id, 'u-new');
      assert.equal((await a.invites.byTokenHash(hashToken(token)))?.usedBy, 'u-new');

      const expired = unique('cyi_');
      await a.invites.insert(hashToken(expired), { id: unique('i'), role: 'member', createdBy: 'u-admin', createdAt: new Date().toISOString(), expiresAt: Date.now() - 1 });
      assert.equal(await a.invites.claim(hashToken(expired), Date.now(), new Date().toISOString()), undefined, 'expired');
      const server = unique('server');
      await a.invites.insert(hashToken(unique('cyi_')), { id: unique('i'), role: 'admin', createdBy: server, createdAt: new Date().toISOString(), expiresAt: Date.now() + 60_000 });
      assert.equal(await a.invites.deleteUnused(server, 'admin'), 1);
    });

    it('sets a one-off fact once across portals, and takes a value only while it is the one held', async () => {
      const [a, b] = [await open(), await open()];
      const key = unique('fact');
      const puts = await Promise.all([a.meta.putIfAbsent(key, 'a'), b.meta.putIfAbsent(key, 'b')]);
      assert.deepEqual(puts.sort(), [false, true]);
      await a.meta.put(key, 'code-1');
      await b.meta.put(key, 'code-2');
      assert.equal(await a.meta.takeIf(key, 'code-1'), false, 'a replaced value no longer works');
      const takes = await Promise.all([a.meta.takeIf(key, 'code-2'), b.meta.takeIf(key, 'code-2')]);
      assert.deepEqual(takes.sort(), [false, true], 'single use');
      assert.equal(await a.meta.get(key), undefined);
    });

    it("gives every anonymous account's repls to the owner, and no one else's", async () => {
      const database = await open();
      const anon = unique('u-anon');
      await database.accounts.insertAnonymous(hashToken(unique('cy_')), { id: anon, createdAt: '2026-01-01T00:00:00.000Z' });
      const person = await database.accounts.insertUser({ id: unique('u-person'), createdAt: '2026-01-01T00:00:00.000Z', email: `${unique('p')}@example.com`, emailVerified: false, role: 'member' });
      assert.notEqual(person, 'email-taken');
      const personId = (person as Exclude<typeof person, string>).id;
      const theirs = [replRecord(anon, 2), replRecord(anon, 1)];
      const kept = replRecord(personId);
      for (const record of [...theirs, kept]) assert.equal(await database.repls.insertWithinLimit(record, 10), true);
      const owner = unique('u-owner');
      const adopted = await database.repls.adoptAnonymous(owner);
      for (const record of theirs) assert.ok(adopted.includes(record.id));
      assert.deepEqual((await database.repls.listByOwner(owner)).map((r) => r.id).sort(), theirs.map((r) => r.id).sort());
      assert.deepEqual(await database.repls.listByOwner(anon), []);
      assert.deepEqual((await database.repls.listByOwner(personId)).map((r) => r.id), [kept.id], "a signed-in user's repls stay theirs");
    });

    it("keeps an account's own limits (migration 011), seen by another portal, one field changed at a time, null back to the default", async () => {
      const [a, b] = [await open(), await open()];
      const made = await a.accounts.insertUser({ id: unique('u-quota'), createdAt: '2026-01-01T00:00:00.000Z', email: `${unique('q')}@example.com`, emailVerified: true, role: 'member' });
      assert.notEqual(made, 'email-taken');
      const id = (made as Exclude<typeof made, string>).id;
      assert.deepEqual(await b.accounts.quotas(id), { repls: null, running: null }, 'none set: the defaults apply');
      assert.equal(await a.accounts.setQuotas(id, { repls: 2, running: 7 }), true);
      assert.deepEqual(await b.accounts.quotas(id), { repls: 2, running: 7 });
      assert.equal(await b.accounts.setQuotas(id, { running: null }), true);
      assert.deepEqual(await a.accounts.quotas(id), { repls: 2, running: null }, 'the field left out stays');
      assert.deepEqual((await a.users.byId(id))?.quotas, { repls: 2, running: null }, 'the admin list shows them');
      assert.equal(await a.accounts.setQuotas('u-nobody', { repls: 1 }), false);
      assert.equal(await a.accounts.quotas('u-nobody'), undefined);
    });
  });
}
