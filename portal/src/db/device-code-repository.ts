import { type Kysely, type Selectable, sql } from 'kysely';
import type { DeviceCodesTable, Tables } from './schema.js';

export type DeviceCodeStatus = 'pending' | 'approved' | 'denied' | 'used';

/** A device sign-in as stored: hashes of its two codes, times in milliseconds since the epoch. */
export interface DeviceCodeRecord {
  id: string;
  deviceCodeHash: string;
  userCodeHash: string;
  client: string;
  name: string;
  address: string;
  createdAt: number;
  expiresAt: number;
  intervalSeconds: number;
  lastPollAt: number | null;
  status: DeviceCodeStatus;
  accountId: string | null;
  tokenId: string | null;
}

function fromRow(row: Selectable<DeviceCodesTable>): DeviceCodeRecord {
  return {
    id: row.id,
    deviceCodeHash: row.device_code_hash,
    userCodeHash: row.user_code_hash,
    client: row.client,
    name: row.name,
    address: row.address,
    // bigint columns come back as strings from PostgreSQL.
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    intervalSeconds: Number(row.interval_seconds),
    lastPollAt: row.last_poll_at === null ? null : Number(row.last_poll_at),
    status: row.status as DeviceCodeStatus,
    accountId: row.account_id,
    tokenId: row.token_id,
  };
}

/**
 * Device sign-ins shared by every portal on the database, so any replica answers a poll or an
 * approval. Each change of state is one conditional update (compare-and-set on the status): two
 * replicas racing on one code cannot both approve it, or both hand out its token.
 */
export class DeviceCodeRepository {
  constructor(readonly db: Kysely<Tables>) {}

  async insert(record: Omit<DeviceCodeRecord, 'lastPollAt' | 'status' | 'accountId' | 'tokenId'>): Promise<void> {
    await this.db
      .insertInto('device_codes')
      .values({
        id: record.id,
        device_code_hash: record.deviceCodeHash,
        user_code_hash: record.userCodeHash,
        client: record.client,
        name: record.name,
        address: record.address,
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        interval_seconds: record.intervalSeconds,
      })
      .execute();
  }

  async byDeviceCodeHash(hash: string): Promise<DeviceCodeRecord | undefined> {
    const row = await this.db.selectFrom('device_codes').selectAll().where('device_code_hash', '=', hash).executeTakeFirst();
    return row && fromRow(row);
  }

  async byUserCodeHash(hash: string): Promise<DeviceCodeRecord | undefined> {
    const row = await this.db.selectFrom('device_codes').selectAll().where('user_code_hash', '=', hash).executeTakeFirst();
    return row && fromRow(row);
  }

  /** Sign-ins still waiting for an answer at `now`, on the whole server. */
  async countPending(now: number): Promise<number> {
    const row = await this.db
      .selectFrom('device_codes')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Pending → approved (for `accountId`) or denied, if it is still pending and not expired at `now`. */
  async answer(id: string, approve: boolean, accountId: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('device_codes')
      .set(approve ? { status: 'approved', account_id: accountId } : { status: 'denied', account_id: accountId })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /**
   * Takes a poll at `now` if the last one was at least `minGapMs` earlier (or there was none);
   * false: polled too soon. The check and the write are one statement, so two replicas answering
   * polls of one code count them together.
   */
  async takePoll(id: string, now: number, minGapMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('device_codes')
      .set({ last_poll_at: now })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_poll_at', 'is', null), eb('last_poll_at', '<=', now - minGapMs)]))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** A poll that came too soon: the interval grows by `bySeconds` (RFC 8628 §3.5), counted from `now`. */
  async slowDown(id: string, now: number, bySeconds: number): Promise<void> {
    await this.db
      .updateTable('device_codes')
      .set({ last_poll_at: now, interval_seconds: sql<number>`interval_seconds + ${bySeconds}` })
      .where('id', '=', id)
      .execute();
  }

  /** Approved → used: true for exactly one caller, who hands out the token. */
  async consume(id: string, now: number): Promise<boolean> {
    const result = await this.db.updateTable('device_codes').set({ status: 'used' }).where('id', '=', id).where('status', '=', 'approved').where('expires_at', '>', now).executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Which token a used code became (for an audit trail). */
  async setToken(id: string, tokenId: string): Promise<void> {
    await this.db.updateTable('device_codes').set({ token_id: tokenId }).where('id', '=', id).execute();
  }

  /** Deletes sign-ins that expired before `before`; answers how many. */
  async sweep(before: number): Promise<number> {
    const result = await this.db.deleteFrom('device_codes').where('expires_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
