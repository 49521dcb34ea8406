import { AppError } from '@codeyard/common/errors';
import { emailKey, type Role } from '../db/account-repository.js';
import type { InviteRecord, InviteRepository } from '../db/invite-repository.js';
import { hashToken, isSecret, newId, newSecret } from './secret-tokens.js';

/** How long an invite link works unless its maker says otherwise. */
export const INVITE_TTL_MS = 7 * 24 * 3600_000;
/** Who made the invite the portal prints at start while a server in accounts mode has no admin. */
export const SERVER_INVITER = 'server';

const notValid = (): AppError => new AppError('NOT_FOUND', 'this invite link is not valid: it was used already, has expired, or was copied incompletely. Ask whoever invited you for a new one.');

/**
 * Invitations to sign up: a `cyi_` link (only its hash kept), for one address or for whoever
 * holds it, working once, until it expires. An admin or teacher makes them; the portal makes
 * the first admin's while a server in accounts mode has none.
 */
export class Invites {
  constructor(
    readonly repository: InviteRepository,
    /** The portal's origin: invite links point at its sign-up page. */
    readonly origin: string,
  ) {}

  /** The sign-up link of an invite token. */
  url(token: string): string {
    return `${this.origin}/signup?invite=${encodeURIComponent(token)}`;
  }

  async create(options: { createdBy: string; role: Role; email?: string; ttlMs?: number }): Promise<{ token: string; url: string; invite: InviteRecord }> {
    const token = newSecret('cyi_');
    const invite: InviteRecord = {
      id: newId('i'),
      ...(options.email !== undefined ? { email: options.email.trim() } : {}),
      role: options.role,
      createdBy: options.createdBy,
      createdAt: new Date().toISOString(),
      expiresAt: Date.now() + (options.ttlMs ?? INVITE_TTL_MS),
    };
    await this.repository.insert(hashToken(token), invite);
    return { token, url: this.url(token), invite };
  }

  /** The invite a link holds while it can still be used; NOT_FOUND otherwise. */
  async lookup(token: string): Promise<InviteRecord> {
    if (!isSecret(token, 'cyi_')) throw notValid();
    const invite = await this.repository.byTokenHash(hashToken(token));
    if (!invite || invite.usedAt !== undefined || invite.expiresAt <= Date.now()) throw notValid();
    return invite;
  }

  /**
   * Takes the invite for a sign-up as `email`: NOT_FOUND when it cannot be used, FORBIDDEN when
   * it is for another address (and then it stays unused). Exactly one concurrent sign-up gets it.
   */
  async claim(token: string, email: string): Promise<InviteRecord> {
    const invite = await this.lookup(token);
    if (invite.email !== undefined && emailKey(invite.email) !== emailKey(email)) {
      throw new AppError('FORBIDDEN', `this invite is for ${invite.email}: sign up with that address, or ask for an invite for ${email.trim()}`);
    }
    const claimed = await this.repository.claim(hashToken(token), Date.now(), new Date().toISOString());
    if (!claimed) throw notValid();
    return claimed;
  }

  /** Gives a claimed invite back (the sign-up failed after claiming it). */
  release(invite: InviteRecord): Promise<void> {
    return this.repository.release(invite.id);
  }

  used(invite: InviteRecord, accountId: string): Promise<void> {
    return this.repository.setUsedBy(invite.id, accountId);
  }

  /** A new first-admin invite, replacing the previous unused one (printed at each start while there is no admin). */
  async firstAdmin(): Promise<string> {
    await this.repository.deleteUnused(SERVER_INVITER, 'admin');
    return (await this.create({ createdBy: SERVER_INVITER, role: 'admin' })).url;
  }
}
