import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/db/open-database.js';
import { quietLog } from './db-test-helpers.js';
import { describeRepositories } from './describe-repositories.js';

// Two open() of one file are two connections, as two processes on one data folder would be.
describeRepositories('SQLite', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-db-'));
  return {
    open: () => openDatabase({ dataDir, log: quietLog }),
    eventsBetweenConnections: false,
    drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
});
