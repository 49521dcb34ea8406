import { type Kysely, type Selectable, sql } from 'kysely';
import type { ReplRecord } from '../repls/repl-record.js';
import type { EventBus } from './event-bus.js';
import type { ReplsTable, Tables } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** How many times an update re-reads and retries when another writer got in between. */
const MAX_ATTEMPTS = 50;

/**
 * The repl records. Every write is a compare-and-set or a conditional insert in the database, so
 * portals sharing it cannot lose each other's updates or overrun the repl limit together; every
 * committed change is announced on the event bus.
 */
export class ReplRepository {
  constructor(
    readonly db: Kysely<Tables>,
    readonly dialect: DialectName,
    readonly events: EventBus,
  ) {}

  async get(id: string): Promise<ReplRecord | undefined> {
    const row = await this.db.selectFrom('repls').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** An account's repls, newest first. */
  async listByOwner(owner: string): Promise<ReplRecord[]> {
    const rows = await this.db.selectFrom('repls').selectAll().where('owner', '=', owner).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toRecord);
  }

  /**
   * Stores a new repl unless its owner already has `limit` repls; false when refused. The count
   * and the insert are one statement. On PostgreSQL it runs in a transaction holding a lock per
   * owner (a statement's snapshot alone would let two concurrent creates both count the old
   * number); SQLite runs one writing statement at a time, and a transaction there would hold the
   * file's lock across awaits, which another connection of the same process then waits on with
   * the event loop blocked.
   */
  async insertWithinLimit(record: ReplRecord, limit: number): Promise<boolean> {
    const row = toRow(record);
    const insert = sql`insert into repls (id, owner, name, stack, created_at, template_version, manifest, ports, origin, memory_mb)
      select ${row.id}, ${row.owner}, ${row.name}, ${row.stack}, ${row.created_at}, ${row.template_version}, ${row.manifest}, ${row.ports}, ${row.origin}, ${row.memory_mb}
      where (select count(*) from repls where owner = ${row.owner}) < ${limit}`;
    const result =
      this.dialect === 'postgres'
        ? await this.db.transaction().execute(async (trx) => {
            await sql`select pg_advisory_xact_lock(hashtextextended(${'repls-of:' + record.owner}, 0))`.execute(trx);
            return insert.execute(trx);
          })
        : await insert.execute(this.db);
    const inserted = result.numAffectedRows === 1n;
    if (inserted) await this.events.publish({ kind: 'created', owner: record.owner, id: record.id });
    return inserted;
  }

  /**
   * Stores repls that count against no account (a class's student repls before anyone joins,
   * owned by the pseudo-owner `class:<id>`), all in one statement per chunk; a chunk that fails
   * takes the ones before it back out.
   */
  async insertMany(records: ReplRecord[]): Promise<void> {
    const done: string[] = [];
    try {
      for (let i = 0; i < records.length; i += 200) {
        const chunk = records.slice(i, i + 200);
        await this.db.insertInto('repls').values(chunk.map(toRow)).execute();
        done.push(...chunk.map((r) => r.id));
      }
    } catch (err) {
      for (const id of done) await this.db.deleteFrom('repls').where('id', '=', id).execute();
      throw err;
    }
    for (const record of records) await this.events.publish({ kind: 'created', owner: record.owner, id: record.id });
  }

  /**
   * Gives a repl to another owner only if `from` still owns it (compare-and-set on the owner):
   * a class's repl handed to the student who joined. False when someone else owns it now.
   */
  async reassignOwner(id: string, from: string, to: string): Promise<boolean> {
    const result = await this.db.updateTable('repls').set({ owner: to, version: sql`version + 1` }).where('id', '=', id).where('owner', '=', from).executeTakeFirst();
    if (result.numUpdatedRows !== 1n) return false;
    await this.events.publish({ kind: 'updated', owner: to, id });
    return true;
  }

  /**
   * Read-modify-write of one record as a compare-and-set on its version: when another writer
   * (this portal or another) changed it in between, `change` runs again on the new record, so a
   * rename racing a port change keeps both. `change` may throw to refuse; it must not change the
   * id, owner or creation time (nor always-on or a repl's own limits: this never writes them). Undefined when there is no such repl.
   */
  async update(id: string, change: (record: ReplRecord) => ReplRecord): Promise<ReplRecord | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.db.selectFrom('repls').selectAll().where('id', '=', id).executeTakeFirst();
      if (!current) return undefined;
      const next = change(toRecord(current));
      const row = toRow(next);
      const result = await this.db
        .updateTable('repls')
        .set({ name: row.name, stack: row.stack, template_version: row.template_version, manifest: row.manifest, ports: row.ports, origin: row.origin, version: sql`version + 1` })
        .where('id', '=', id)
        .where('version', '=', current.version)
        .executeTakeFirst();
      if (result.numUpdatedRows === 1n) {
        await this.events.publish({ kind: 'updated', owner: current.owner, id });
        // What this update does not write is answered as stored (always-on and limits have their own writers).
        const { alwaysOn: _on, alwaysOnBy: _by, memoryMb: _mb, ...written } = next;
        const { alwaysOn, alwaysOnBy, memoryMb } = toRecord(current);
        return { ...written, id, owner: current.owner, createdAt: current.created_at, ...(alwaysOn ? { alwaysOn, ...(alwaysOnBy ? { alwaysOnBy } : {}) } : {}), ...(memoryMb !== undefined ? { memoryMb } : {}) };
      }
    }
    throw new Error(`repl ${id} changed ${MAX_ATTEMPTS} times while one update was being made; try again`);
  }

  /**
   * Marks a repl of `owner` always on, on the owner's own allowance, unless the account already
   * uses `allowance` (answers `limit`), or off. What an account uses is every repl whose
   * always-on it pays for (`always_on_by`: its own, and the student repls its classes made always
   * on; not the class repls it was handed as a student). The count and the change are one
   * statement, under a lock per paying account on PostgreSQL (a statement's snapshot alone
   * would let two portals count the old number; see insertWithinLimit), so two portals turning
   * on two repls at once cannot both pass. `missing` when there is no such repl of that owner.
   */
  async setAlwaysOn(id: string, owner: string, on: boolean, allowance: number): Promise<'changed' | 'unchanged' | 'limit' | 'missing'> {
    const flag = on ? 1 : 0;
    const change = sql`update repls set always_on = ${flag}, always_on_by = ${on ? owner : null}, version = version + 1
      where id = ${id} and owner = ${owner} and always_on <> ${flag}
      ${on ? sql`and (select count(*) from repls where always_on_by = ${owner}) < ${allowance}` : sql``}`;
    const result = await this.#underAllowanceLock(owner, (db) => change.execute(db));
    if (result.numAffectedRows === 1n) {
      await this.events.publish({ kind: 'updated', owner, id });
      return 'changed';
    }
    const current = await this.get(id);
    if (!current || current.owner !== owner) return 'missing';
    return !!current.alwaysOn === on ? 'unchanged' : 'limit';
  }

  /**
   * Makes repls `ids` always on, paid from `payer`'s allowance (a class's teacher granting it to
   * the class's student repls), all or none: none when `payer` would then use more than
   * `allowance` (answers `limit`). One statement counts and changes, as setAlwaysOn does; the
   * count leaves out `ids` themselves, so it means the same however the database evaluates it.
   */
  async grantAlwaysOn(ids: readonly string[], payer: string, allowance: number): Promise<'granted' | 'limit'> {
    if (ids.length === 0) return 'granted';
    const change = sql<{ id: string; owner: string }>`update repls set always_on = 1, always_on_by = ${payer}, version = version + 1
      where id in (${sql.join(ids)})
      and (select count(*) from repls where always_on_by = ${payer} and id not in (${sql.join(ids)})) + ${ids.length} <= ${allowance}
      returning id, owner`;
    const { rows } = await this.#underAllowanceLock(payer, (db) => change.execute(db));
    for (const row of rows) await this.events.publish({ kind: 'updated', owner: row.owner, id: row.id });
    return rows.length > 0 ? 'granted' : 'limit';
  }

  /** Runs an always-on change for `payer`: on PostgreSQL in a transaction holding that account's allowance lock. */
  #underAllowanceLock<T>(payer: string, run: (db: Kysely<Tables>) => Promise<T>): Promise<T> {
    if (this.dialect !== 'postgres') return run(this.db);
    return this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended(${'always-on-of:' + payer}, 0))`.execute(trx);
      return run(trx);
    });
  }

  /** The repls whose always-on the account pays for: its own marked so, and those its classes made always on. */
  async alwaysOnOf(account: string): Promise<ReplRecord[]> {
    const rows = await this.db.selectFrom('repls').selectAll().where('always_on_by', '=', account).where('always_on', '=', 1).orderBy('created_at').execute();
    return rows.map(toRecord);
  }

  /**
   * Gives every repl of an anonymous account to `owner` (owner mode's first sign-in adopts what
   * a data folder from before sign-in holds); answers the ids moved. One statement: a repl
   * created meanwhile is either moved or was made by an account that is not anonymous.
   */
  async adoptAnonymous(owner: string): Promise<string[]> {
    const rows = await this.db
      .updateTable('repls')
      // An always-on repl the anonymous account paid for is paid for by its new owner.
      .set({ owner, always_on_by: sql`case when always_on_by = owner then ${owner} else always_on_by end`, version: sql`version + 1` })
      .where('owner', 'in', (eb) => eb.selectFrom('accounts').select('id').where('anonymous', '=', 1))
      .returning('id')
      .execute();
    for (const { id } of rows) await this.events.publish({ kind: 'updated', owner, id });
    return rows.map((r) => r.id);
  }

  /** Deletes the record; false when there was none (already deleted, maybe by another portal). */
  async delete(id: string): Promise<boolean> {
    const row = await this.db.deleteFrom('repls').where('id', '=', id).returning(['owner']).executeTakeFirst();
    if (!row) return false;
    await this.events.publish({ kind: 'deleted', owner: row.owner, id });
    return true;
  }
}

/** The columns of a record (JSON for what has structure). */
export function toRow(record: ReplRecord): Omit<Selectable<ReplsTable>, 'version' | 'secrets_revision'> {
  return {
    id: record.id,
    owner: record.owner,
    name: record.name,
    stack: record.stack,
    created_at: record.createdAt,
    template_version: record.templateVersion,
    manifest: JSON.stringify(record.manifest),
    ports: JSON.stringify(record.ports ?? {}),
    origin: record.origin ? JSON.stringify(record.origin) : null,
    always_on: record.alwaysOn ? 1 : 0,
    always_on_by: record.alwaysOn ? (record.alwaysOnBy ?? record.owner) : null,
    memory_mb: record.memoryMb ?? null,
  };
}

function toRecord(row: Selectable<ReplsTable>): ReplRecord {
  const ports = JSON.parse(row.ports) as NonNullable<ReplRecord['ports']>;
  return {
    id: row.id,
    name: row.name,
    stack: row.stack,
    owner: row.owner,
    createdAt: row.created_at,
    templateVersion: row.template_version,
    manifest: JSON.parse(row.manifest) as ReplRecord['manifest'],
    ...(Object.keys(ports).length ? { ports } : {}),
    ...(row.origin ? { origin: JSON.parse(row.origin) as NonNullable<ReplRecord['origin']> } : {}),
    ...(Number(row.always_on) === 1 ? { alwaysOn: true, ...(row.always_on_by ? { alwaysOnBy: row.always_on_by } : {}) } : {}),
    ...(row.memory_mb !== null ? { memoryMb: Number(row.memory_mb) } : {}),
  };
}
