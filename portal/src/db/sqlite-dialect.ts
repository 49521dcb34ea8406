import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { SqliteDialect, type SqliteDatabase } from 'kysely';

/**
 * Kysely's SqliteDialect over Node's built-in `node:sqlite`: the dialect expects a database shaped
 * like better-sqlite3's, which this wraps around a `DatabaseSync`. Built in rather than
 * better-sqlite3, whose native build is tied to one Node version and needs a compiler.
 */
export function nodeSqliteDialect(file: string): { dialect: SqliteDialect; database: DatabaseSync } {
  const database = new DatabaseSync(file);
  // WAL: readers never wait for the writer. A second process on the same file (a CLI, a tool)
  // waits for the lock instead of failing at once.
  database.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
  return { dialect: new SqliteDialect({ database: adapt(database) }), database };
}

function adapt(database: DatabaseSync): SqliteDatabase {
  return {
    close: () => database.close(),
    prepare(sql) {
      const stmt = database.prepare(sql);
      const params = (values: ReadonlyArray<unknown>): SQLInputValue[] => values as SQLInputValue[];
      return {
        // A statement with result columns (SELECT, or anything with RETURNING) is read with all().
        reader: stmt.columns().length > 0,
        all: (values) => stmt.all(...params(values)),
        run: (values) => stmt.run(...params(values)),
        iterate: (values) => stmt.iterate(...params(values)),
      };
    },
  };
}
