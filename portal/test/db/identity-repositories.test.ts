import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type Database, openDatabase, SQLITE_FILE } from '../../src/db/open-database.js';
import { dropSchema, quietLog, runSchema } from './db-test-helpers.js';

const url = process.env.CODEYARD_TEST_DATABASE_URL;

/** Identities and OpenID flows on both dialects; two open() are two portals on one database. */
/** A database target; `forget008()` makes it one that ran up to 007-audit (main before OpenID): its tables and record of 008 gone. */
interface Target {
  open(): Promise<Database>;
  forget008(): Promise<void>;
  drop(): Promise<void>;
}

// Every migration after 007 goes (009-classes, 010-submissions, 011-account-quotas, 014-repl-secrets, 015-secret-revisions too): a database from before
// OpenID had none of them, and Kysely refuses to run one that sorts before one already run.
const FORGET_008 = [
  'ALTER TABLE repls DROP COLUMN secrets_revision',
  'DROP TABLE repl_secrets',
  'DROP INDEX repls_always_on_by',
  'ALTER TABLE repls DROP COLUMN always_on_by',
  'ALTER TABLE repls DROP COLUMN memory_mb',
  'ALTER TABLE accounts DROP COLUMN max_running',
  'ALTER TABLE accounts DROP COLUMN max_repls',
  'DROP TABLE oidc_flows',
  'DROP TABLE identities',
  'DROP TABLE class_students',
  'DROP TABLE classes',
  'DROP TABLE grade_results',
  'DROP TABLE grade_runs',
  'DROP TABLE submissions',
  "DELETE FROM kysely_migration WHERE name > '007-audit'",
];

function describeIdentities(name: string, make: () => Target, skip?: string): void {
  describe(`identities and OpenID flows on ${name}`, { skip }, () => {
    let target: ReturnType<typeof make>;
    let a: Database;
    let b: Database;
    before(async () => {
      target = make();
      a = await target.open();
      b = await target.open();
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await target?.drop();
    });

    const at = '2026-12-01T10:00:00.000Z';
    const identity = (subject: string, accountId: string) => ({ issuer: 'https://id.example.com', subject, accountId, provider: 'example', email: `${subject}@example.com`, createdAt: at });

    it('links an issuer and subject to one account only, whichever portal tries second', async () => {
      assert.notEqual(await a.identities.link(identity('s1', 'u1')), 'taken');
      assert.equal(await b.identities.link(identity('s1', 'u2')), 'taken');
      assert.equal((await b.identities.find('https://id.example.com', 's1'))?.accountId, 'u1');
      // The same subject at another issuer is another person.
      assert.notEqual(await b.identities.link({ ...identity('s1', 'u2'), issuer: 'https://other.example.com' }), 'taken');
    });

    it('records each sign-in with the address given then, and lists an account\'s identities', async () => {
      await a.identities.link(identity('s2', 'u3'));
      await a.identities.signedIn('https://id.example.com', 's2', '2026-12-02T10:00:00.000Z', 'renamed@example.com');
      const [found] = await b.identities.ofAccount('u3');
      assert.deepEqual(found, { ...identity('s2', 'u3'), email: 'renamed@example.com', lastSignInAt: '2026-12-02T10:00:00.000Z' });
    });

    it('disconnects a provider, but not the last one unless the account signs in otherwise', async () => {
      await a.identities.link({ ...identity('s4', 'u4'), provider: 'one' });
      await a.identities.link({ ...identity('s5', 'u4'), provider: 'two' });
      assert.equal(await b.identities.unlink('u4', 'none-such', false), 'none');
      assert.equal(await b.identities.unlink('u5', 'one', true), 'none', "another account's provider is not this one's to remove");
      assert.equal(await b.identities.unlink('u4', 'one', false), 'unlinked', 'another provider stays');
      assert.equal(await a.identities.unlink('u4', 'two', false), 'last');
      assert.deepEqual((await a.identities.ofAccount('u4')).map((i) => i.provider), ['two']);
      assert.equal(await a.identities.unlink('u4', 'two', true), 'unlinked', 'a password or the owner link is another way in');
      assert.deepEqual(await a.identities.ofAccount('u4'), []);
    });

    it('keeps one of the last two providers when both are disconnected at once, from two portals', async () => {
      await a.identities.link({ ...identity('s6', 'u6'), provider: 'one' });
      await a.identities.link({ ...identity('s7', 'u6'), provider: 'two' });
      const outcomes = await Promise.all([a.identities.unlink('u6', 'one', false), b.identities.unlink('u6', 'two', false)]);
      assert.deepEqual([...outcomes].sort(), ['last', 'unlinked']);
      assert.equal((await a.identities.ofAccount('u6')).length, 1);
    });

    it('gives a flow to one taker only, across portals, with what it was started with', async () => {
      const flow = { provider: 'example', state: 'st', nonce: 'no', codeVerifier: 'cv', linkAccount: 'u9', invite: 'cyi_x', createdAt: at, expiresAt: Date.now() + 60_000 };
      await a.oidcFlows.insert('h1', flow);
      const takes = await Promise.all([a.oidcFlows.take('h1'), b.oidcFlows.take('h1')]);
      assert.deepEqual(takes.filter(Boolean), [flow]);
      assert.equal(await a.oidcFlows.take('h1'), undefined);
    });

    it('sweeps flows that expired, and only those', async () => {
      const base = { provider: 'example', state: 's', nonce: 'n', codeVerifier: 'c', createdAt: at };
      await a.oidcFlows.insert('old', { ...base, expiresAt: 1000 });
      await a.oidcFlows.insert('new', { ...base, expiresAt: Date.now() + 60_000 });
      assert.ok((await b.oidcFlows.sweep(Date.now())) >= 1);
      assert.equal(await a.oidcFlows.take('old'), undefined);
      assert.ok(await a.oidcFlows.take('new'));
    });

    it('migrates a database that already ran 007-audit: 008-identities sorts after it and runs', async () => {
      const older = make();
      try {
        const first = await older.open();
        await first.audit.insert({ id: 'e1', at, kind: 'signin', accountId: 'u1', credentialKind: null, credentialId: null, targetType: null, targetId: null, targetAccount: null, address: null, details: {} });
        await first.close();
        await older.forget008();
        const again = await older.open();
        try {
          assert.notEqual(await again.identities.link(identity('s3', 'u1')), 'taken', 'the identities table is back');
          assert.deepEqual((await again.audit.page({}, 10)).map((e) => e.id), ['e1'], 'what 007 held is kept');
        } finally {
          await again.close();
        }
      } finally {
        await older.drop();
      }
    });
  });
}

describeIdentities('SQLite', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-db-id-'));
  return {
    open: () => openDatabase({ dataDir, log: quietLog }),
    async forget008() {
      const db = new DatabaseSync(path.join(dataDir, SQLITE_FILE));
      for (const statement of FORGET_008) db.exec(statement);
      db.close();
    },
    drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
});

describeIdentities(
  'PostgreSQL',
  () => {
    const schema = runSchema('identities');
    return {
      open: () => openDatabase({ url, dataDir: os.tmpdir(), schema, log: quietLog }),
      async forget008() {
        const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
        await client.connect();
        try {
          for (const statement of FORGET_008) await client.query(statement);
        } finally {
          await client.end();
        }
      },
      drop: () => dropSchema(url, schema),
    };
  },
  url ? undefined : 'CODEYARD_TEST_DATABASE_URL is not set (.ci/postgres.sh starts a PostgreSQL and prints it)',
);
