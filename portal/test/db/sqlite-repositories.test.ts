import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase, SQLITE_FILE } from '../../src/db/open-database.js';
import { quietLog } from './db-test-helpers.js';
import { describeAccountRepositories } from './describe-account-repositories.js';
import { describeAuditRepository } from './describe-audit-repository.js';
import { describeClassRepository } from './describe-class-repository.js';
import { describeGradeQueue } from './describe-grade-queue.js';
import { type DatabaseTarget, describeRepositories } from './describe-repositories.js';
import { describeReplLimits } from './describe-repl-limits.js';
import { describeSecretRepository } from './describe-secret-repository.js';
import { describeSubmissionRepositories } from './describe-submission-repositories.js';
import { describeTokenRepositories } from './describe-token-repositories.js';

// Two open() of one file are two connections, as two processes on one data folder would be.
const sqlite = async (): Promise<DatabaseTarget> => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-db-'));
  return {
    open: () => openDatabase({ dataDir, log: quietLog }),
    eventsBetweenConnections: false,
    drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
};
describeRepositories('SQLite', sqlite);
describeAccountRepositories('SQLite', sqlite);
describeAuditRepository('SQLite', sqlite);
describeClassRepository('SQLite', sqlite);
describeSubmissionRepositories('SQLite', sqlite);
describeReplLimits('SQLite', sqlite);
describeGradeQueue('SQLite', sqlite);
describeSecretRepository('SQLite', sqlite);

describe('the SQLite file', () => {
  it("is root's alone (0600), like the signing key, even when an older one was made wider", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-db-mode-'));
    try {
      const file = path.join(dataDir, SQLITE_FILE);
      const first = await openDatabase({ dataDir, log: quietLog });
      await first.accounts.insertAnonymous('a'.repeat(64), { id: 'u1', createdAt: new Date().toISOString() });
      await first.close();
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      fs.chmodSync(file, 0o644);
      const again = await openDatabase({ dataDir, log: quietLog });
      assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'narrowed at open');
      assert.ok(await again.accounts.byTokenHash('a'.repeat(64)), 'and its rows kept');
      await again.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describeTokenRepositories('SQLite', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-db-tokens-'));
  return { open: () => openDatabase({ dataDir, log: quietLog }), eventsBetweenConnections: false, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
});
