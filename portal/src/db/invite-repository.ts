import type { Kysely, Selectable } from 'kysely';
import { emailKey, ROLES, type Role } from './account-repository.js';
import type { InvitesTable, Tables } from './schema.js';

/** An invitation to sign up, as stored (its token only as a hash). */
export interface InviteRecord {
  id: string;
  /** The only address that may use it; absent: whoever holds the link. */
  email?: string;
  role: Role;
  /** The inviting account, or `server` (the first admin's invite, printed at start). */
  createdBy: string;
  createdAt: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  usedAt?: string;
  usedBy?: string;
}

/** Invites by the SHA-256 of their `cyi_` token; each is used once. */
export class InviteRepository {
  constructor(readonly db: Kysely<Tables>) {}

  async insert(tokenHash: string, invite: Omit<InviteRecord, 'usedAt' | 'usedBy'>): Promise<void> {
    await this.db
      .insertInto('invites')
      .values({
        id: invite.id,
        token_hash: tokenHash,
        email: invite.email?.trim() ?? null,
        email_key: invite.email === undefined ? null : emailKey(invite.email),
        role: invite.role,
        created_by: invite.createdBy,
        created_at: invite.createdAt,
        expires_at: invite.expiresAt,
      })
      .execute();
  }

  /** The invite of this token, used or not (the caller says which is wrong). */
  async byTokenHash(tokenHash: string): Promise<InviteRecord | undefined> {
    const row = await this.db.selectFrom('invites').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && toInvite(row);
  }

  /**
   * Takes the invite for one sign-up: marks it used unless it already is or has expired. Only
   * one of any number of concurrent claims (on any portal) gets it.
   */
  async claim(tokenHash: string, now: number, at: string): Promise<InviteRecord | undefined> {
    const result = await this.db
      .updateTable('invites')
      .set({ used_at: at })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) return undefined;
    return this.byTokenHash(tokenHash);
  }

  /** Gives a claimed invite back (the sign-up that claimed it failed). */
  async release(id: string): Promise<void> {
    await this.db.updateTable('invites').set({ used_at: null, used_by: null }).where('id', '=', id).execute();
  }

  /** Records who signed up with a claimed invite. */
  async setUsedBy(id: string, accountId: string): Promise<void> {
    await this.db.updateTable('invites').set({ used_by: accountId }).where('id', '=', id).execute();
  }

  /** Deletes the unused invites `createdBy` made for `role` (a new first-admin invite replaces the last). */
  async deleteUnused(createdBy: string, role: Role): Promise<number> {
    const result = await this.db.deleteFrom('invites').where('created_by', '=', createdBy).where('role', '=', role).where('used_at', 'is', null).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toInvite(row: Selectable<InvitesTable>): InviteRecord {
  return {
    id: row.id,
    ...(row.email !== null ? { email: row.email } : {}),
    role: (ROLES as readonly string[]).includes(row.role) ? (row.role as Role) : 'member',
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: Number(row.expires_at),
    ...(row.used_at !== null ? { usedAt: row.used_at } : {}),
    ...(row.used_by !== null ? { usedBy: row.used_by } : {}),
  };
}
