import { isReplId } from '@codeyard/common/repl-id';
import { mapLimit, type ObjectStore } from '../store/object-store.js';
import type { ReplRecord } from '../repls/repl-record.js';
import type { Database } from './open-database.js';
import { toRow } from './repl-repository.js';

/** Where records lived in the object store before the database (the layout of earlier versions). */
const RECORD_PREFIXES = ['accounts/', 'repls/', 'owners/'] as const;
/** The `meta` row that says the store's records were imported: set in the same transaction as the rows. */
export const IMPORTED_MARKER = 'store-records-imported';

export interface ImportReport {
  accounts: number;
  repls: number;
  /** Old objects removed from the store (after the rows were committed). */
  removed: number;
  /** Objects that could not be read as records: left in the store, named in the log. */
  unreadable: string[];
}

/**
 * Moves the records of a data folder made before the database (accounts/<sha256>.json,
 * repls/<id>.json, owners/<owner>/<id>) into it, once. The rows and the marker commit together;
 * only then are the old objects removed, so a crash at any point loses nothing: before the commit
 * the next start imports again, after it the next start only finishes the removal (never imports
 * again, which could bring back a repl deleted since). The owner links are not imported: a repl's
 * owner is in its record, the links were only the store's way to list by owner.
 */
export async function importStoreRecords(store: ObjectStore, database: Database, log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void }): Promise<ImportReport | undefined> {
  const keys: string[] = [];
  for (const prefix of RECORD_PREFIXES) for await (const info of store.list(prefix)) keys.push(info.key);
  if (keys.length === 0) return undefined;

  const report: ImportReport = { accounts: 0, repls: 0, removed: 0, unreadable: [] };
  const accounts: Array<{ hash: string; account: OldAccount }> = [];
  const repls: ReplRecord[] = [];
  const removable = keys.filter((key) => key.startsWith('owners/'));
  for (const key of keys) {
    const account = /^accounts\/([0-9a-f]{64})\.json$/.exec(key);
    const repl = /^repls\/([^/]+)\.json$/.exec(key);
    if (!account && !repl) continue;
    const value = await readJson(store, key);
    if (account && isAccount(value)) accounts.push({ hash: account[1]!, account: { id: value.id, createdAt: value.createdAt } });
    else if (repl && isReplRecord(value) && value.id === repl[1]) repls.push(value);
    else {
      report.unreadable.push(key);
      continue;
    }
    removable.push(key);
  }

  await database.db.transaction().execute(async (trx) => {
    // Claimed first: a second portal importing at the same moment waits here, then finds it done;
    // a start after an interrupted removal finds it done too, and only removes.
    const claim = await trx.insertInto('meta').values({ key: IMPORTED_MARKER, value: new Date().toISOString() }).onConflict((c) => c.column('key').doNothing()).executeTakeFirst();
    if (claim.numInsertedOrUpdatedRows !== 1n) return;
    for (const { hash, account } of accounts) {
      // An account of those days was an anonymous one: its token keeps working in anonymous mode,
      // and owner mode's first sign-in adopts its repls.
      const added = await trx.insertInto('accounts').values({ id: account.id, created_at: account.createdAt, anonymous: 1 }).onConflict((c) => c.column('id').doNothing()).executeTakeFirst();
      if (added.numInsertedOrUpdatedRows === 1n) await trx.insertInto('legacy_tokens').values({ token_hash: hash, account_id: account.id }).onConflict((c) => c.column('token_hash').doNothing()).execute();
    }
    for (const record of repls) await trx.insertInto('repls').values(toRow(record)).onConflict((c) => c.column('id').doNothing()).execute();
    report.accounts = accounts.length;
    report.repls = repls.length;
  });
  if (report.accounts || report.repls) log.info({ accounts: report.accounts, repls: report.repls }, 'records moved from the object store into the database');
  for (const key of report.unreadable) log.error({ key }, 'an old record in the object store could not be read; it is left there and was not imported');
  // Only now, with the rows committed: the store keeps files only.
  await mapLimit(removable, 8, (key) => store.delete(key));
  report.removed = removable.length;
  return report;
}

async function readJson(store: ObjectStore, key: string): Promise<unknown> {
  try {
    return JSON.parse((await store.get(key))?.toString('utf8') ?? 'null') as unknown;
  } catch {
    return undefined;
  }
}

/** An account object of the pre-database layout: `{ id, createdAt }`. */
interface OldAccount {
  id: string;
  createdAt: string;
}

function isAccount(value: unknown): value is OldAccount {
  const v = value as Partial<OldAccount> | null;
  return typeof v?.id === 'string' && typeof v.createdAt === 'string';
}

function isReplRecord(value: unknown): value is ReplRecord {
  const v = value as Partial<ReplRecord> | null;
  return (
    typeof v?.id === 'string' &&
    isReplId(v.id) &&
    typeof v.owner === 'string' &&
    typeof v.name === 'string' &&
    typeof v.stack === 'string' &&
    typeof v.createdAt === 'string' &&
    typeof v.templateVersion === 'string' &&
    typeof v.manifest === 'object' &&
    v.manifest !== null
  );
}
