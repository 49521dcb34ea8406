import { AppError } from '@codeyard/common/errors';
import { type Account, type AccountRepository, type Role } from '../db/account-repository.js';
import type { SessionRepository } from '../db/session-repository.js';
import { hashPassword, passwordProblem, verifyDecoy, verifyPassword } from './passwords.js';
import { hashToken, isSecret, newId, newSecret } from './secret-tokens.js';

export type { Account, Role };
export { hashToken };

/** What a new signed-in user is made of (local sign-up, an invite, later OpenID Connect). */
export interface UserFields {
  email?: string;
  emailVerified: boolean;
  name?: string;
  /** Absent: the first signed-in account of the server is admin, later ones members. */
  role?: Role;
  /** Absent: no password sign-in (the owner, OpenID Connect users). */
  password?: string;
}

/** Longest email accepted (RFC 5321's path limit). */
export const EMAIL_MAX_LENGTH = 254;

/** Why an address is refused, or undefined: one `@`, something on each side, a dot in the domain, no spaces. */
export function emailProblem(email: string): string | undefined {
  const value = email.trim();
  if (value.length > EMAIL_MAX_LENGTH) return `the email address must be at most ${EMAIL_MAX_LENGTH} characters`;
  if (!/^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(value)) return `${JSON.stringify(value)} is not an email address (name@example.com)`;
  return undefined;
}

/**
 * The accounts: anonymous ones (a `cy_` token is the account; anonymous mode) and signed-in
 * users (email and password, the owner link, later OpenID Connect). Nothing is cached in the
 * portal: every replica sees the same accounts, and a disabled one stops working everywhere at
 * once.
 */
export class Accounts {
  constructor(
    readonly repository: AccountRepository,
    /** Revoked when an account is disabled (so enabling it again brings no old session back). */
    readonly sessions?: SessionRepository,
  ) {}

  /** A new anonymous account and its token (anonymous mode's `POST /api/session`). */
  async create(): Promise<{ token: string; account: Account }> {
    const token = newSecret('cy_');
    const account = await this.repository.insertAnonymous(hashToken(token), { id: newId('u'), createdAt: new Date().toISOString() });
    return { token, account };
  }

  /** The account of a legacy `cy_` token, or undefined (malformed, unknown, disabled). */
  async resolve(token: string | undefined): Promise<Account | undefined> {
    if (!isSecret(token, 'cy_')) return undefined;
    const account = await this.repository.byTokenHash(hashToken(token));
    return account && !account.disabled ? account : undefined;
  }

  byId(id: string): Promise<Account | undefined> {
    return this.repository.byId(id);
  }

  /** The account with this address (any capitalization). */
  byEmail(email: string): Promise<Account | undefined> {
    return this.repository.byEmail(email);
  }

  /**
   * A new signed-in user. Refuses (VALIDATION) a malformed address or a weak password, and
   * (CONFLICT) an address that already has an account, whatever its capitalization.
   */
  async createUser(fields: UserFields): Promise<Account> {
    if (fields.email !== undefined) {
      const problem = emailProblem(fields.email);
      if (problem) throw new AppError('VALIDATION', problem);
    }
    if (fields.password !== undefined) {
      const problem = passwordProblem(fields.password, fields.email);
      if (problem) throw new AppError('VALIDATION', problem);
    }
    const created = await this.repository.insertUser({
      id: newId('u'),
      createdAt: new Date().toISOString(),
      ...(fields.email !== undefined ? { email: fields.email.trim() } : {}),
      emailVerified: fields.emailVerified,
      ...(fields.name !== undefined ? { name: fields.name.trim() } : {}),
      ...(fields.role ? { role: fields.role } : {}),
      ...(fields.password !== undefined ? { passwordHash: await hashPassword(fields.password) } : {}),
    });
    if (created === 'email-taken') throw new AppError('CONFLICT', `an account with the address ${fields.email?.trim()} exists already: sign in instead`);
    return created;
  }

  /**
   * The account these credentials sign in to, or undefined (no such address, no password, a
   * wrong one). Every path takes one password verification's time. A disabled account is
   * answered as such (only to someone who knows its password).
   */
  async checkPassword(email: string, password: string): Promise<Account | undefined> {
    const found = await this.repository.withPasswordHash(email);
    if (!found?.passwordHash) {
      await verifyDecoy(password);
      return undefined;
    }
    return (await verifyPassword(password, found.passwordHash)) ? found.account : undefined;
  }

  /** Sets a new password (refused, VALIDATION, when weak); false when there is no such account. */
  async setPassword(id: string, password: string): Promise<boolean> {
    const account = await this.repository.byId(id);
    const problem = passwordProblem(password, account?.email);
    if (problem) throw new AppError('VALIDATION', problem);
    return account ? this.repository.setPasswordHash(id, await hashPassword(password)) : false;
  }

  /**
   * Disables (or enables) an account. Disabled, every credential of it stops working at once on
   * every portal (each request reads the flag), and its sessions are revoked for good.
   */
  async setDisabled(id: string, disabled: boolean): Promise<boolean> {
    const changed = await this.repository.setDisabled(id, disabled);
    if (changed && disabled) await this.sessions?.revokeAllOf(id, new Date().toISOString());
    return changed;
  }
}
