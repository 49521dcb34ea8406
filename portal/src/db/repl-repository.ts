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
    const insert = sql`insert into repls (id, owner, name, stack, created_at, template_version, manifest, ports, origin)
      select ${row.id}, ${row.owner}, ${row.name}, ${row.stack}, ${row.created_at}, ${row.template_version}, ${row.manifest}, ${row.ports}, ${row.origin}
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
   * id, owner or creation time. Undefined when there is no such repl.
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
        return { ...next, id, owner: current.owner, createdAt: current.created_at };
      }
    }
    throw new Error(`repl ${id} changed ${MAX_ATTEMPTS} times while one update was being made; try again`);
  }

  /**
   * Marks a repl of `owner` always on, unless the account already has `allowance` repls so
   * marked (answers `limit`), or off. The count and the change are one statement, under the
   * same per-owner lock on PostgreSQL as inserts (see insertWithinLimit), so two portals turning
   * on two repls at once cannot both pass. `missing` when there is no such repl of that owner.
   */
  async setAlwaysOn(id: string, owner: string, on: boolean, allowance: number): Promise<'changed' | 'unchanged' | 'limit' | 'missing'> {
    const flag = on ? 1 : 0;
    const change = sql`update repls set always_on = ${flag}, version = version + 1
      where id = ${id} and owner = ${owner} and always_on <> ${flag}
      ${on ? sql`and (select count(*) from repls where owner = ${owner} and always_on = 1) < ${allowance}` : sql``}`;
    const result =
      this.dialect === 'postgres'
        ? await this.db.transaction().execute(async (trx) => {
            await sql`select pg_advisory_xact_lock(hashtextextended(${'repls-of:' + owner}, 0))`.execute(trx);
            return change.execute(trx);
          })
        : await change.execute(this.db);
    if (result.numAffectedRows === 1n) {
      await this.events.publish({ kind: 'updated', owner, id });
      return 'changed';
    }
    const current = await this.get(id);
    if (!current || current.owner !== owner) return 'missing';
    return !!current.alwaysOn === on ? 'unchanged' : 'limit';
  }

  /** The account's repls marked always on. */
  async alwaysOnOf(owner: string): Promise<ReplRecord[]> {
    const rows = await this.db.selectFrom('repls').selectAll().where('owner', '=', owner).where('always_on', '=', 1).orderBy('created_at').execute();
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
      .set({ owner, version: sql`version + 1` })
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
export function toRow(record: ReplRecord): Omit<Selectable<ReplsTable>, 'version'> {
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
    ...(Number(row.always_on) === 1 ? { alwaysOn: true } : {}),
  };
}
