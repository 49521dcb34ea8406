import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signed, short-lived tokens that carry "account A may use host H until T".
 * A ticket (purpose `ticket`) travels in a URL once and is exchanged by the proxy for a
 * session cookie (purpose `session`) scoped to that one host. The purpose is signed, so a
 * cookie can never be replayed as a ticket and the other way round. Single use of tickets is
 * enforced by a {@link TicketLedger} the proxy is given (in memory by default: {@link NonceRegistry}).
 */
export type GrantPurpose = 'ticket' | 'session';

export interface Grant {
  purpose: GrantPurpose;
  /** The exact hostname the grant is valid for (no port). */
  host: string;
  /** The account the grant belongs to. */
  account: string;
  /** Expiry, in milliseconds since the epoch. */
  expiresAt: number;
  /** Random, unique per grant. */
  nonce: string;
  /**
   * The portal credential the grant was made through (`s:<session id>`, `t:<token id>`): signing
   * out or revoking it ends the host cookies it opened too (see CredentialRevocations). Absent
   * for links no revocable credential made (anonymous accounts' legacy tokens).
   */
  via?: string;
}

export type GrantCheck = { ok: true; grant: Grant } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' | 'wrong-purpose' | 'wrong-host' };

export class GrantSigner {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length < 32) throw new Error('signing key must be at least 32 bytes');
    this.#key = key;
  }

  sign(fields: Omit<Grant, 'nonce'>): string {
    const grant: Grant = { ...fields, nonce: randomBytes(12).toString('base64url') };
    const signed = [grant.purpose, grant.host, grant.account, grant.expiresAt, grant.nonce, ...(grant.via ? [grant.via] : [])];
    const payload = Buffer.from(JSON.stringify(signed)).toString('base64url');
    return `${payload}.${this.#mac(payload)}`;
  }

  verify(token: string | undefined, expected: { purpose: GrantPurpose; host: string; now?: number }): GrantCheck {
    if (!token || token.length > 2048) return { ok: false, reason: 'malformed' };
    const dot = token.indexOf('.');
    if (dot <= 0) return { ok: false, reason: 'malformed' };
    const payload = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const want = Buffer.from(this.#mac(payload), 'base64url');
    if (mac.length !== want.length || !timingSafeEqual(mac, want)) return { ok: false, reason: 'bad-signature' };
    let fields: unknown;
    try {
      fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    // Five fields, or six with `via` (grants from before it existed still verify until they expire).
    if (!Array.isArray(fields) || (fields.length !== 5 && fields.length !== 6)) return { ok: false, reason: 'malformed' };
    const [purpose, host, account, expiresAt, nonce, via] = fields as [GrantPurpose, string, string, number, string, unknown];
    if (fields.length === 6 && (typeof via !== 'string' || !via)) return { ok: false, reason: 'malformed' };
    const grant: Grant = { purpose, host, account, expiresAt, nonce, ...(typeof via === 'string' ? { via } : {}) };
    if (grant.purpose !== expected.purpose) return { ok: false, reason: 'wrong-purpose' };
    if (grant.host !== expected.host) return { ok: false, reason: 'wrong-host' };
    if (!(grant.expiresAt > (expected.now ?? Date.now()))) return { ok: false, reason: 'expired' };
    return { ok: true, grant };
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}

/**
 * Where the single use of tickets is recorded. One ledger must be shared by every process that
 * redeems tickets for the same hosts (several portal replicas: a database-backed one), or a
 * ticket used on one would open a second session on another.
 */
export interface TicketLedger {
  /**
   * Records a ticket's nonce as used; true the first time only. `expiresAt` (ms since the epoch)
   * is when the ticket would be refused anyway, so the record may be dropped after it. A ledger
   * that cannot answer rejects: the ticket is then refused, never let through.
   */
  redeem(nonce: string, expiresAt: number): Promise<boolean>;
}

/**
 * Remembers used ticket nonces in this process until they expire, so each ticket opens a session
 * once: right for one portal, not for several (see {@link TicketLedger}).
 * Bounded: the oldest entries go first when it is full (they are the nearest to expiry anyway).
 */
export class NonceRegistry implements TicketLedger {
  readonly #used = new Map<string, number>();
  readonly #max: number;

  constructor(max = 100_000) {
    this.#max = max;
  }

  /** Records the nonce; false when it was already used. */
  use(nonce: string, expiresAt: number, now = Date.now()): boolean {
    this.#sweep(now);
    if (this.#used.has(nonce)) return false;
    if (this.#used.size >= this.#max) {
      const oldest = this.#used.keys().next().value;
      if (oldest !== undefined) this.#used.delete(oldest);
    }
    this.#used.set(nonce, expiresAt);
    return true;
  }

  async redeem(nonce: string, expiresAt: number): Promise<boolean> {
    return this.use(nonce, expiresAt);
  }

  #sweep(now: number): void {
    for (const [nonce, expiresAt] of this.#used) {
      if (expiresAt > now) break;
      this.#used.delete(nonce);
    }
  }
}
