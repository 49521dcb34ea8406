import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import type { ObjectStore } from '../store/object-store.js';
import { AccountRepository } from './account-repository.js';
import { ActivityRepository } from './activity-repository.js';
import { AuditRepository } from './audit-repository.js';
import { ClassRepository } from './class-repository.js';
import { DeviceCodeRepository } from './device-code-repository.js';
import { GradeRepository } from './grade-repository.js';
import { type EventBus, LocalEventBus } from './event-bus.js';
import { IdentityRepository } from './identity-repository.js';
import { importStoreRecords } from './import-store-records.js';
import { InviteRepository } from './invite-repository.js';
import { MetaRepository } from './meta-repository.js';
import { migrateToLatest } from './migrations.js';
import { OidcFlowRepository } from './oidc-flow-repository.js';
import { PgEventBus } from './pg-event-bus.js';
import { type DialectName, ReplRepository } from './repl-repository.js';
import type { Tables } from './schema.js';
import { SecretRepository } from './secret-repository.js';
import { SessionRepository } from './session-repository.js';
import { SubmissionRepository } from './submission-repository.js';
import { nodeSqliteDialect } from './sqlite-dialect.js';
import { DbTicketLedger } from './ticket-ledger.js';
import { ApiTokenRepository } from './token-repository.js';
import { UserDirectory } from './user-directory.js';

/** The records of one portal: the repositories over one database, migrated to the latest schema. */
export interface Database {
  dialect: DialectName;
  db: Kysely<Tables>;
  accounts: AccountRepository;
  /** Browser sign-ins (`cys_` cookies). */
  sessions: SessionRepository;
  invites: InviteRepository;
  /** One-off facts: the owner, the owner link's code. */
  meta: MetaRepository;
  repls: ReplRepository;
  tickets: DbTicketLedger;
  /** Last activity per repl, shared by the portals (idle stop). */
  activity: ActivityRepository;
  /** Personal API tokens (hashed). */
  apiTokens: ApiTokenRepository;
  /** Device sign-ins, shared by the portals so any of them answers a poll or an approval. */
  deviceCodes: DeviceCodeRepository;
  /** The audit log (written only through audit/audit.ts). */
  audit: AuditRepository;
  /** Classes and their rosters (issue #15). */
  classes: ClassRepository;
  /** Accounts as the admin page lists and changes them (never leaving the server without an admin). */
  users: UserDirectory;
  /** OpenID Connect: linked identities and sign-ins under way. */
  identities: IdentityRepository;
  oidcFlows: OidcFlowRepository;
  /** Submissions of repls (issue #15). */
  submissions: SubmissionRepository;
  /** Autograde runs of classes and their results. */
  grades: GradeRepository;
  /** Repls' secrets (encrypted values; see secrets/). */
  secrets: SecretRepository;
  events: EventBus;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…` (CODEYARD_DATABASE_URL); absent for the SQLite file in the data folder. */
  url?: string;
  dataDir: string;
  /** PostgreSQL only: a schema of its own (made when missing), so test runs on one server do not collide. */
  schema?: string;
  log: { error(obj: object, msg: string): void };
}

/** The SQLite file's name in the data folder. */
export const SQLITE_FILE = 'codeyard.db';

/** Opens (and migrates) the database: SQLite in the data folder, or PostgreSQL from a URL. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url !== undefined && !/^postgres(ql)?:\/\//.test(options.url)) {
    throw new Error('CODEYARD_DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for the SQLite file in the data folder)');
  }
  const opened = options.url ? await openPostgres(options.url, options) : openSqlite(path.join(options.dataDir, SQLITE_FILE));
  try {
    const schema = opened.dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(opened.db)).rows[0]?.schema : undefined;
    await migrateToLatest(opened.db as Kysely<unknown>, schema);
  } catch (err) {
    await opened.events.close();
    await opened.db.destroy();
    throw err;
  }
  return {
    ...opened,
    accounts: new AccountRepository(opened.db, opened.dialect),
    sessions: new SessionRepository(opened.db),
    invites: new InviteRepository(opened.db),
    meta: new MetaRepository(opened.db),
    repls: new ReplRepository(opened.db, opened.dialect, opened.events),
    tickets: new DbTicketLedger(opened.db),
    activity: new ActivityRepository(opened.db),
    apiTokens: new ApiTokenRepository(opened.db),
    deviceCodes: new DeviceCodeRepository(opened.db),
    audit: new AuditRepository(opened.db),
    classes: new ClassRepository(opened.db),
    users: new UserDirectory(opened.db, opened.dialect),
    identities: new IdentityRepository(opened.db, opened.dialect),
    oidcFlows: new OidcFlowRepository(opened.db),
    submissions: new SubmissionRepository(opened.db),
    grades: new GradeRepository(opened.db),
    secrets: new SecretRepository(opened.db),
    async close() {
      await opened.events.close();
      await opened.db.destroy();
    },
  };
}

type Opened = { dialect: DialectName; db: Kysely<Tables>; events: EventBus };

function openSqlite(file: string): Opened {
  // Root's alone, like the signing key: it holds every account's token hash and every record.
  // Made before SQLite opens it (its journal files take the same mode); an older file is narrowed.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
  const { dialect } = nodeSqliteDialect(file);
  return { dialect: 'sqlite', db: new Kysely<Tables>({ dialect }), events: new LocalEventBus() };
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<Opened> {
  // Loaded only for PostgreSQL: the embedded SQLite default starts without it.
  const { default: pg } = await import('pg');
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  const settings: pg.ClientConfig = { connectionString: url, ...(schema ? { options: `-c search_path=${schema}` } : {}) };
  if (schema) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({ ...settings, max: 10 });
  // An idle pooled connection that breaks (a server restart) is replaced on next use, not fatal.
  pool.on('error', (err) => options.log.error({ err: err.message }, 'an idle database connection failed'));
  const events = await PgEventBus.open({ channel: `codeyard_repls${schema ? `_${schema}` : ''}`, pool, connect: () => new pg.Client(settings), log: options.log });
  return { dialect: 'postgres', db: new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }), events };
}

/**
 * The portal's database as configured, with the records of an older data folder (still in the
 * object store) moved into it first.
 */
export async function openPortalDatabase(config: { databaseUrl?: string; dataDir: string }, store: ObjectStore, log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void }): Promise<Database> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, log });
  try {
    await importStoreRecords(store, database, log);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}
