import { randomBytes } from 'node:crypto';
import { type ActorKind, AUDIT_PAGE_MAX, type AuditEvent, type AuditFormat, type AuditKind, type AuditPage } from '@codeyard/common/api/admin';
import { AppError, describeError } from '@codeyard/common/errors';
import type { AuditCursor, AuditFilter, AuditRepository, AuditRow } from '../db/audit-repository.js';
import { csvHeader, csvLine } from './audit-export.js';

/** Who did it: an account and how it signed in, or the machine's admin token (no account). */
export interface Actor {
  accountId?: string;
  credential?: { kind: ActorKind; id?: string };
}

/** What the target of an event is, and whose it is. */
export interface AuditTarget {
  type: 'account' | 'repl' | 'token' | 'device' | 'class';
  id: string;
  /** The account it belongs to (the repl's owner, the token's account, the account itself). */
  account?: string;
}

/** One thing that happened, as a route reports it. */
export interface AuditEntry {
  kind: AuditKind;
  /** None: nobody signed in (a failed sign-in, a device polling). */
  actor?: Actor;
  target?: AuditTarget;
  address?: string;
  /** Plain facts (never a secret): what changed, from what, why refused. */
  details?: Record<string, unknown>;
}

export interface AuditOptions {
  repository: AuditRepository;
  /** Events older than this are deleted (CODEYARD_AUDIT_DAYS). */
  retentionMs: number;
  now?: () => number;
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** The longest `details` kept, as JSON: a bound on what one event can weigh. */
const DETAILS_MAX_CHARS = 4096;
/** Events read per query when exporting. */
const EXPORT_BATCH = 500;
/** An export stops here whatever the filter (retention keeps logs well under it in practice). */
export const EXPORT_MAX_EVENTS = 1_000_000;
/** Rows deleted per statement by the retention sweep, and statements per sweep. */
const SWEEP_BATCH = 1000;
const SWEEP_MAX_BATCHES = 1000;
const DAY_MS = 24 * 3600_000;

/** `2026-12-01` or a full ISO date-time, as the ISO string the log compares with; else a 400 naming the field. */
export function parseTime(field: string, text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(text);
  const ms = ok ? Date.parse(/T/.test(text) && !/(Z|[+-]\d{2}:\d{2})$/.test(text) ? `${text}Z` : text) : NaN;
  if (Number.isNaN(ms)) throw new AppError('VALIDATION', `${field} must be an ISO date (2026-12-01) or date-time (2026-12-01T09:30:00Z), got ${JSON.stringify(text)}`);
  return new Date(ms).toISOString();
}

function encodeCursor(row: AuditRow): string {
  return Buffer.from(JSON.stringify([row.at, row.id])).toString('base64url');
}

function decodeCursor(text: string): AuditCursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string') return { at, id };
  } catch {
    // answered below
  }
  throw new AppError('VALIDATION', 'cursor is not one this API gave: pass the `next` of the previous page as it was');
}

/** An event as the API shows it. */
export function eventView(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind as AuditKind,
    account: row.accountId,
    accountEmail: row.accountEmail,
    credential: row.credentialKind as ActorKind | null,
    credentialId: row.credentialId,
    targetType: row.targetType,
    targetId: row.targetId,
    targetAccount: row.targetAccount,
    address: row.address,
    details: row.details,
  };
}

function boundedDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!details) return {};
  const text = JSON.stringify(details);
  return text.length <= DETAILS_MAX_CHARS ? details : { truncated: true, start: text.slice(0, DETAILS_MAX_CHARS) };
}

/**
 * The audit log: the one writer of `audit_events`. Routes call {@link Audit.record} after the
 * thing happened (one call site per kind; AUDIT_KINDS says where). A failed write is logged and
 * swallowed: the action it describes has happened, and answering it with a 500 would only make
 * the caller try it again.
 */
export class Audit {
  readonly #o: AuditOptions;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #seq = 0;

  constructor(options: AuditOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Time, then a counter, then random: events of one millisecond still sort in the order this
   * portal wrote them (pages go by time, then id), and two portals never make the same id.
   */
  #newId(now: number): string {
    this.#seq = (this.#seq + 1) % 0x10000;
    return `a${now.toString(16).padStart(12, '0')}${this.#seq.toString(16).padStart(4, '0')}${randomBytes(6).toString('hex')}`;
  }

  get retentionDays(): number {
    return Math.round(this.#o.retentionMs / DAY_MS);
  }

  async record(entry: AuditEntry): Promise<void> {
    try {
      const now = this.#now();
      await this.#o.repository.insert({
        id: this.#newId(now),
        at: new Date(now).toISOString(),
        kind: entry.kind,
        accountId: entry.actor?.accountId ?? null,
        credentialKind: entry.actor?.credential?.kind ?? null,
        credentialId: entry.actor?.credential?.id ?? null,
        targetType: entry.target?.type ?? null,
        targetId: entry.target?.id ?? null,
        targetAccount: entry.target?.account ?? null,
        address: entry.address ?? null,
        details: boundedDetails(entry.details),
      });
    } catch (err) {
      this.#o.log.error({ kind: entry.kind, err: describeError(err) }, 'could not write an audit event');
    }
  }

  /** One page of events, newest first, and the cursor of the next. */
  async page(filter: AuditFilter, limit: number, cursor?: string): Promise<AuditPage> {
    const size = Math.min(Math.max(1, limit), AUDIT_PAGE_MAX);
    // One more than asked for: whether a next page exists, without a count.
    const rows = await this.#o.repository.page(filter, size + 1, cursor ? decodeCursor(cursor) : undefined);
    const events = rows.slice(0, size);
    const last = events.at(-1);
    return { events: events.map(eventView), next: rows.length > size && last ? encodeCursor(last) : null, retentionDays: this.retentionDays };
  }

  /** Every matching event, newest first, as lines of CSV (a header first) or JSON. */
  async *export(filter: AuditFilter, format: Exclude<AuditFormat, 'json'>): AsyncGenerator<string> {
    if (format === 'csv') yield csvHeader();
    let after: AuditCursor | undefined;
    for (let sent = 0; sent < EXPORT_MAX_EVENTS; ) {
      const rows = await this.#o.repository.page(filter, Math.min(EXPORT_BATCH, EXPORT_MAX_EVENTS - sent), after);
      for (const row of rows) yield format === 'csv' ? csvLine(eventView(row)) : `${JSON.stringify(eventView(row))}\n`;
      sent += rows.length;
      const last = rows.at(-1);
      if (!last || rows.length < EXPORT_BATCH) return;
      after = { at: last.at, id: last.id };
    }
    this.#o.log.warn({ max: EXPORT_MAX_EVENTS }, 'audit export stopped at its most events; narrow it with since/until');
  }

  /** Deletes events older than the retention; answers how many (bounded per call). */
  async sweep(): Promise<number> {
    const before = new Date(this.#now() - this.#o.retentionMs).toISOString();
    let deleted = 0;
    for (let i = 0; i < SWEEP_MAX_BATCHES; i++) {
      const n = await this.#o.repository.deleteOlderThan(before, SWEEP_BATCH);
      deleted += n;
      if (n < SWEEP_BATCH) break;
    }
    return deleted;
  }

  /** Sweeps now and every `everyMs` (portals that act; any of them may, the deletes do not collide). */
  startSweeping(everyMs: number): void {
    const run = () => void this.sweep().catch((err: unknown) => this.#o.log.error({ err: describeError(err) }, 'audit retention sweep failed'));
    run();
    this.#timer = setInterval(run, everyMs);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
