import type { Account } from '../db/account-repository.js';
import type { SessionRecord, SessionRepository } from '../db/session-repository.js';
import { hashToken, isSecret, newId, newSecret } from './secret-tokens.js';

/** How stale `last_seen_at` may get: written at most this often per session, not on every request. */
const TOUCH_EVERY_MS = 60_000;
/** How often expired sessions are deleted (at most; on the next sign-in after it). */
const SWEEP_EVERY_MS = 3600_000;
/** What is kept of a user agent (it is shown in a list of sessions, never parsed). */
const USER_AGENT_MAX = 256;

export interface SessionsOptions {
  /** How long a session lasts from sign-in (CODEYARD_SIGNIN_DAYS). */
  ttlMs: number;
}

/**
 * Browser sessions: a `cys_` token in an HttpOnly cookie, a row in `sessions` (its SHA-256, the
 * account, when, from where). A new one at every sign-in, never an old one carried over (no
 * session fixation); revoked by sign-out or when the account is disabled; checked against the
 * database on every request, so a revocation holds on every portal at once.
 */
export class Sessions {
  #lastSweep = 0;

  constructor(
    readonly repository: SessionRepository,
    readonly options: SessionsOptions,
  ) {}

  /** A fresh session for a browser that just signed in. */
  async create(account: Account, client: { userAgent?: string; address?: string } = {}): Promise<{ token: string; session: SessionRecord }> {
    const now = Date.now();
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) {
      this.#lastSweep = now;
      await this.repository.sweep(now);
    }
    const token = newSecret('cys_');
    const at = new Date(now).toISOString();
    const session = {
      id: newId('s'),
      accountId: account.id,
      createdAt: at,
      lastSeenAt: at,
      expiresAt: now + this.options.ttlMs,
      ...(client.userAgent ? { userAgent: client.userAgent.slice(0, USER_AGENT_MAX) } : {}),
      ...(client.address ? { address: client.address } : {}),
    };
    await this.repository.insert(hashToken(token), session);
    return { token, session: { ...session, revoked: false } };
  }

  /** The live session of a token and its (enabled) account, or undefined. */
  async resolve(token: string | undefined): Promise<{ session: SessionRecord; account: Account } | undefined> {
    if (!isSecret(token, 'cys_')) return undefined;
    const now = Date.now();
    const found = await this.repository.resolve(hashToken(token), now);
    if (found && now - Date.parse(found.session.lastSeenAt) >= TOUCH_EVERY_MS) {
      const at = new Date(now).toISOString();
      await this.repository.touch(found.session.id, at);
      found.session.lastSeenAt = at;
    }
    return found;
  }

  /** Revokes the session of a token (sign-out); false when it was not live. */
  async revokeToken(token: string | undefined): Promise<boolean> {
    const found = await this.resolve(token);
    return found ? this.repository.revoke(found.session.id, new Date().toISOString()) : false;
  }

  /** Revokes every session of an account (a password change, a disabled account). */
  revokeAllOf(accountId: string): Promise<number> {
    return this.repository.revokeAllOf(accountId, new Date().toISOString());
  }
}
