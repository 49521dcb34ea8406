import { describeError } from '@codeyard/common/errors';
import type { Credential } from '../api/credential.js';

/** What a grant says it was made through: `s:<session id>`, `t:<API token id>`; none for legacy tokens. */
export function credentialRef(credential: Pick<Credential, 'kind' | 'id'> | undefined): string | undefined {
  if (credential?.kind === 'session') return `s:${credential.id}`;
  if (credential?.kind === 'token') return `t:${credential.id}`;
  return undefined;
}

/** Where revocations are read: the sessions and API tokens tables, as every portal writes them. */
export interface RevocationSource {
  sessions: { revokedSince(at: string): Promise<Array<{ id: string; revokedAt: string }>> };
  apiTokens: { revokedSince(at: string): Promise<Array<{ id: string; revokedAt: string }>> };
}

export interface CredentialRevocationsOptions {
  source: RevocationSource;
  /** How long a host cookie lives: a revocation older than that can matter to no cookie and is forgotten. */
  windowMs: number;
  /** How often the database is read (a sign-out on another portal counts here within about this long). */
  pollMs?: number;
  now?: () => number;
  log: { warn(obj: object, msg: string): void };
}

/** How often revocations are read by default. */
export const REVOCATION_POLL_MS = 2000;

/**
 * The portal credentials (browser sessions, API tokens) revoked within a host cookie's lifetime,
 * for the proxy: a host cookie is a signed grant checked without the database on every request
 * (the fast path included), so signing out, or revoking the token that opened a repl, reaches
 * the repl hosts through this list, read from the database every couple of seconds and asked
 * synchronously. Revocations are never undone, so the list only grows until entries age out.
 */
export class CredentialRevocations {
  readonly #o: CredentialRevocationsOptions;
  /** `via` → when it was revoked (ms). */
  readonly #revoked = new Map<string, number>();
  /** The revoked_at from which the next read starts (a little before the last one's newest, for clock skew between writers). */
  #since: number;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;

  constructor(options: CredentialRevocationsOptions) {
    this.#o = options;
    this.#since = this.#now() - options.windowMs;
  }

  /** Reads what was revoked within the window, then keeps reading. */
  async start(): Promise<void> {
    await this.refresh();
    const every = this.#o.pollMs ?? REVOCATION_POLL_MS;
    this.#timer = setInterval(() => void this.refresh(), every);
    this.#timer.unref();
  }

  /** Whether host cookies made through `via` must stop working. */
  readonly revoked = (via: string): boolean => this.#revoked.has(via);

  /** One read of the database (one at a time); a failed read keeps what is known and is retried next time. */
  refresh(): Promise<void> {
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  async #read(): Promise<void> {
    const started = this.#now();
    const since = new Date(this.#since).toISOString();
    try {
      const [sessions, tokens] = await Promise.all([this.#o.source.sessions.revokedSince(since), this.#o.source.apiTokens.revokedSince(since)]);
      for (const { id, revokedAt } of sessions) this.#revoked.set(`s:${id}`, Date.parse(revokedAt));
      for (const { id, revokedAt } of tokens) this.#revoked.set(`t:${id}`, Date.parse(revokedAt));
      // The next read overlaps this one by a minute: a revocation written with a clock a little behind is still seen.
      this.#since = started - 60_000;
      const oldest = started - this.#o.windowMs;
      for (const [via, at] of this.#revoked) if (at < oldest) this.#revoked.delete(via);
    } catch (err) {
      this.#o.log.warn({ err: describeError(err) }, 'could not read revoked sessions and tokens; trying again');
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }
}
