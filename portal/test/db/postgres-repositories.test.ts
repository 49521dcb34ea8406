import os from 'node:os';
import pg from 'pg';
import { openDatabase } from '../../src/db/open-database.js';
import { describeRepositories, quietLog } from './describe-repositories.js';

const url = process.env.CODEYARD_TEST_DATABASE_URL;

// Each run in a schema of its own, so runs sharing one server do not see each other's rows or events.
describeRepositories(
  'PostgreSQL',
  async () => {
    const schema = `test_${process.pid}_${Date.now().toString(36)}_${os.hostname().replace(/\W/g, '').slice(0, 8).toLowerCase()}`;
    return {
      open: () => openDatabase({ url, dataDir: os.tmpdir(), schema, log: quietLog }),
      eventsBetweenConnections: true,
      async drop() {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      },
    };
  },
  { skip: url ? undefined : 'CODEYARD_TEST_DATABASE_URL is not set: the PostgreSQL run needs a server (.ci/postgres.sh starts one and prints the URL)' },
);
