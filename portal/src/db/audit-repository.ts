import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { AuditEventsTable, Tables } from './schema.js';

/** One audit event as stored; `details` parsed. */
export interface AuditRecord {
  id: string;
  at: string;
  kind: string;
  accountId: string | null;
  credentialKind: string | null;
  credentialId: string | null;
  targetType: string | null;
  targetId: string | null;
  targetAccount: string | null;
  address: string | null;
  details: Record<string, unknown>;
}

/** An event with the acting account's address as it is now (a join, not a copy). */
export interface AuditRow extends AuditRecord {
  accountEmail: string | null;
}

/** Which events: times as ISO strings (`since` inclusive, `until` exclusive). */
export interface AuditFilter {
  since?: string;
  until?: string;
  /** An exact kind, or a prefix ending in a dot (`admin.`). */
  kind?: string;
  /** Events by this account, or about it (the target's owner). */
  account?: string;
}

/** Where a page starts: just older than this event (the last of the page before). */
export interface AuditCursor {
  at: string;
  id: string;
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

type Row = AuditEventsTable & { account_email: string | null };

function fromRow(row: Row): AuditRow {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    accountId: row.account_id,
    credentialKind: row.credential_kind,
    credentialId: row.credential_id,
    targetType: row.target_type,
    targetId: row.target_id,
    targetAccount: row.target_account,
    address: row.address,
    details: parseDetails(row.details as unknown as string),
    accountEmail: row.account_email,
  };
}

/** The audit log: inserts, newest-first pages, and the retention sweep. */
export class AuditRepository {
  constructor(readonly db: Kysely<Tables>) {}

  async insert(record: AuditRecord): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        id: record.id,
        at: record.at,
        kind: record.kind,
        account_id: record.accountId,
        credential_kind: record.credentialKind,
        credential_id: record.credentialId,
        target_type: record.targetType,
        target_id: record.targetId,
        target_account: record.targetAccount,
        address: record.address,
        details: JSON.stringify(record.details),
      })
      .execute();
  }

  #filtered(filter: AuditFilter): SelectQueryBuilder<Tables & { actor: Tables['accounts'] }, 'audit_events' | 'actor', Row> {
    let query = this.db
      .selectFrom('audit_events')
      .leftJoin('accounts as actor', 'actor.id', 'audit_events.account_id')
      .selectAll('audit_events')
      .select('actor.email as account_email');
    if (filter.since !== undefined) query = query.where('audit_events.at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('audit_events.at', '<', filter.until);
    if (filter.kind !== undefined) {
      // Kinds are [a-z.-] (the API checks): no LIKE wildcard can hide in a prefix.
      query = filter.kind.endsWith('.') ? query.where('audit_events.kind', 'like', `${filter.kind}%`) : query.where('audit_events.kind', '=', filter.kind);
    }
    const account = filter.account;
    if (account !== undefined) query = query.where((eb) => eb.or([eb('audit_events.account_id', '=', account), eb('audit_events.target_account', '=', account)]));
    return query as unknown as SelectQueryBuilder<Tables & { actor: Tables['accounts'] }, 'audit_events' | 'actor', Row>;
  }

  /** Up to `limit` events, newest first, older than `after` when given. */
  async page(filter: AuditFilter, limit: number, after?: AuditCursor): Promise<AuditRow[]> {
    let query = this.#filtered(filter);
    if (after) {
      query = query.where((eb) => eb.or([eb('audit_events.at', '<', after.at), eb.and([eb('audit_events.at', '=', after.at), eb('audit_events.id', '<', after.id)])]));
    }
    const rows = await query.orderBy('audit_events.at', 'desc').orderBy('audit_events.id', 'desc').limit(limit).execute();
    return rows.map(fromRow);
  }

  /**
   * Deletes up to `batch` events older than `before`; answers how many. Bounded so a sweep after
   * a long pause never holds the table (or SQLite's one writer) for long: the caller repeats.
   */
  async deleteOlderThan(before: string, batch: number): Promise<number> {
    const result = await this.db
      .deleteFrom('audit_events')
      .where('id', 'in', (eb) => eb.selectFrom('audit_events').select('id').where('at', '<', before).limit(batch))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
