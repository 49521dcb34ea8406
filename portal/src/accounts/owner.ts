import { randomBytes } from 'node:crypto';
import { AppError } from '@codeyard/common/errors';
import type { Account } from '../db/account-repository.js';
import type { MetaRepository } from '../db/meta-repository.js';
import type { ReplRepository } from '../db/repl-repository.js';
import type { Accounts } from './accounts.js';
import { hashToken } from './secret-tokens.js';

/** `meta` keys: the owner's account id, and the SHA-256 of the one owner code that works now. */
export const OWNER_KEY = 'owner';
export const OWNER_CODE_KEY = 'owner-code';
/** Owner codes: 24 random bytes, base64url (192 bits: guessing is hopeless, and tries are rate-limited). */
const CODE_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/** The link the terminal prints: opening it signs that browser in as the owner. */
export function ownerLink(origin: string, code: string): string {
  return `${origin}/auth/owner?code=${code}`;
}

const used = (): AppError =>
  new AppError(
    'FORBIDDEN',
    'this owner link does not work any more: it was used already, or the portal printed a newer one when it started again. Open the newest link the terminal printed; once there is an owner, `npm run owner-link` on the server prints a new one.',
  );

/**
 * Owner mode (CODEYARD_AUTH=owner, the default on one machine), as Jupyter prints its token
 * URL: while the server has no owner, each start prints a link with a one-time code (kept only
 * as a hash in the database, replacing the previous one); the browser that opens it becomes the
 * owner, an admin, and adopts the repls of every anonymous account a data folder from before
 * sign-in holds. Once there is an owner, a code (from `npm run owner-link`, which needs the
 * server's database) signs that browser in as the owner: the way back for an owner whose
 * session ended.
 */
export class OwnerLink {
  constructor(
    readonly deps: {
      meta: MetaRepository;
      accounts: Accounts;
      repls: ReplRepository;
      log: { info(obj: object, msg: string): void };
    },
  ) {}

  /** The owner's account, when there is one. */
  async owner(): Promise<Account | undefined> {
    const id = await this.deps.meta.get(OWNER_KEY);
    return id === undefined ? undefined : this.deps.accounts.byId(id);
  }

  /** A new one-time code; the previous one stops working. */
  async issueCode(): Promise<string> {
    const code = randomBytes(24).toString('base64url');
    await this.deps.meta.put(OWNER_CODE_KEY, hashToken(code));
    return code;
  }

  /** At start: a new code while the server has no owner, else nothing. */
  async codeAtStart(): Promise<string | undefined> {
    return (await this.owner()) ? undefined : this.issueCode();
  }

  /**
   * Uses a code up: the first time on a server, makes the owner (an admin) and gives it every
   * anonymous account's repls; later, answers the owner. FORBIDDEN when the code does not work.
   */
  async claim(code: string): Promise<{ account: Account; adopted: string[] }> {
    if (!CODE_PATTERN.test(code) || !(await this.deps.meta.takeIf(OWNER_CODE_KEY, hashToken(code)))) throw used();
    const existing = await this.owner();
    if (existing) {
      if (existing.disabled) throw new AppError('FORBIDDEN', 'the owner account is disabled');
      return { account: existing, adopted: [] };
    }
    const made = await this.deps.accounts.createUser({ emailVerified: false, name: 'Owner', role: 'admin' });
    // Only the first of two racing claims (two codes, two portals) sets it; the other signs in as that owner.
    if (!(await this.deps.meta.putIfAbsent(OWNER_KEY, made.id))) {
      const winner = await this.owner();
      if (!winner) throw new AppError('INTERNAL', 'the owner was set and cannot be read back');
      return { account: winner, adopted: [] };
    }
    const adopted = await this.deps.repls.adoptAnonymous(made.id);
    this.deps.log.info({ owner: made.id, adopted: adopted.length }, 'the owner signed in for the first time; repls of anonymous accounts adopted');
    return { account: made, adopted };
  }
}
