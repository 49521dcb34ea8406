import { after } from 'node:test';
import pg from 'pg';
import type { Database } from '../../src/db/open-database.js';

/** One database to test: `open()` may be called several times, each a separate connection (a portal). */
export interface DatabaseTarget {
  open(): Promise<Database>;
  /** Whether events published through one open() reach another (PostgreSQL's LISTEN/NOTIFY). */
  eventsBetweenConnections: boolean;
  /** Removes what the test made (a schema, a folder). */
  drop(): Promise<void>;
}

/**
 * For a repository suite's describe(): opens connections to the target made on first use (one
 * per call, as each portal has its own), and closes them and drops the target after the suite.
 */
export function databaseOpener(make: () => Promise<DatabaseTarget>): (() => Promise<Database>) & { target(): DatabaseTarget | undefined } {
  const opened: Database[] = [];
  let target: DatabaseTarget | undefined;
  after(async () => {
    for (const database of opened) await database.close();
    await target?.drop();
  });
  const open = async (): Promise<Database> => {
    target ??= await make();
    const database = await target.open();
    opened.push(database);
    return database;
  };
  return Object.assign(open, { target: () => target });
}

/** A log that says nothing (the tests check outcomes, not log lines). */
export const quietLog = { info() {}, error() {} };

/** The first event `subscribe` delivers that `match` accepts; rejects after 5 s without one. */
export function firstEvent<T>(subscribe: (listener: (event: T) => void) => () => void, match: (event: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no event within 5 s')), 5000);
    const off = subscribe((event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

/** A schema name of this test run's own, so runs sharing one PostgreSQL never see each other's rows or events. */
export function runSchema(label: string): string {
  return `test_${label}_${process.pid}_${Date.now().toString(36)}`;
}

/** Drops a test run's schema and everything in it. */
export async function dropSchema(url: string | undefined, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
