import { randomBytes } from 'node:crypto';
import type { DeviceApproved, DeviceRequest, DeviceStart, DeviceStarted, DeviceTokenGranted, SignedIn } from '@codeyard/common/api/tokens';
import { AppError } from '@codeyard/common/errors';
import { type Account, type Accounts, hashToken } from '../accounts/accounts.js';
import type { DeviceCodeRecord, DeviceCodeRepository } from '../db/device-code-repository.js';
import type { ApiTokens } from './api-tokens.js';
import { formatUserCode, newUserCode, normalizeUserCode } from './user-code.js';

/** How long a device sign-in waits for the user (RFC 8628 suggests minutes, not hours). */
export const DEVICE_CODE_TTL_MS = 10 * 60_000;
/** Seconds a client waits between polls (RFC 8628's default). */
export const DEVICE_POLL_SECONDS = 5;
/** What SLOW_DOWN adds to the interval (RFC 8628 §3.5). */
export const SLOW_DOWN_STEP_SECONDS = 5;
/** A poll may come this much early: timers and networks are not exact, and SLOW_DOWN is for a client that ignores the interval. */
const POLL_LEEWAY_MS = 1000;
/** Sign-ins waiting on the whole server at once: a bound on the table, whatever the addresses. */
export const MAX_PENDING_DEVICE_CODES = 1000;
/** What the token a device gets may do, and for how long (the contract's: read and write, 90 days). */
const DEVICE_TOKEN_DAYS = 90;
/** Expired sign-ins are deleted at most this often (on the next start after it). */
const SWEEP_EVERY_MS = 60_000;

export interface DeviceFlowOptions {
  repository: DeviceCodeRepository;
  tokens: ApiTokens;
  accounts: Accounts;
  /** The portal's origin: the approval page is `<origin>/device`. */
  portalOrigin: string;
  now?: () => number;
}

/** The account as a client that signed in is told of it (email, name and role come with the accounts work). */
export function signedInAccount(account: Account): SignedIn {
  const more = account as Partial<{ email: string; name: string; role: string }>;
  return { id: account.id, ...(more.email ? { email: more.email } : {}), ...(more.name ? { name: more.name } : {}), role: more.role ?? 'member' };
}

/**
 * Device sign-in (RFC 8628 in spirit, JSON and camelCase): a client (the CLI, the desktop app)
 * gets a secret device code and a short user code, shows the user code and opens
 * `<portal>/device`; the signed-in user approves it there; the client's poll then gets a personal
 * API token, once. No password is ever typed into a terminal or an app. Both codes are kept as
 * SHA-256 hashes in the database, so any portal replica answers either side.
 */
export class DeviceFlow {
  readonly #repository: DeviceCodeRepository;
  readonly #tokens: ApiTokens;
  readonly #accounts: Accounts;
  readonly #verificationUri: string;
  readonly #now: () => number;
  #lastSweep = 0;

  constructor(options: DeviceFlowOptions) {
    this.#repository = options.repository;
    this.#tokens = options.tokens;
    this.#accounts = options.accounts;
    this.#verificationUri = `${options.portalOrigin}/device`;
    this.#now = options.now ?? Date.now;
  }

  /** A new sign-in for `client`, asked for from `address`. */
  async start(input: DeviceStart, address: string): Promise<DeviceStarted> {
    const now = this.#now();
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) {
      this.#lastSweep = now;
      await this.#repository.sweep(now);
    }
    if ((await this.#repository.countPending(now)) >= MAX_PENDING_DEVICE_CODES) {
      throw new AppError('RATE_LIMITED', `${MAX_PENDING_DEVICE_CODES} device sign-ins are waiting on this server already; try again in a minute`, { retryAfterSeconds: 60 });
    }
    const deviceCode = randomBytes(32).toString('base64url');
    // A code that names a sign-in still in the table is drawn again (bounded; with 2.6·10^10 codes, never twice in practice).
    let userCode = newUserCode();
    for (let tries = 0; tries < 5 && (await this.#repository.byUserCodeHash(hashToken(normalizeUserCode(userCode)!))); tries++) userCode = newUserCode();
    await this.#repository.insert({
      id: `d${randomBytes(10).toString('hex')}`,
      deviceCodeHash: hashToken(deviceCode),
      userCodeHash: hashToken(normalizeUserCode(userCode)!),
      client: input.client.trim() || 'a client',
      name: (input.name ?? input.client).trim() || input.client,
      address,
      createdAt: now,
      expiresAt: now + DEVICE_CODE_TTL_MS,
      intervalSeconds: DEVICE_POLL_SECONDS,
    });
    return {
      deviceCode,
      userCode,
      verificationUri: this.#verificationUri,
      verificationUriComplete: `${this.#verificationUri}?code=${userCode}`,
      expiresIn: DEVICE_CODE_TTL_MS / 1000,
      interval: DEVICE_POLL_SECONDS,
    };
  }

  /**
   * The client's poll: the token once the user approved (and never again), else an AppError
   * whose code says what to do: AUTHORIZATION_PENDING (poll again after `interval`), SLOW_DOWN
   * (the interval grew by 5 s), ACCESS_DENIED (stop), EXPIRED_TOKEN (start again).
   */
  async poll(deviceCode: string): Promise<DeviceTokenGranted> {
    const now = this.#now();
    const record = await this.#repository.byDeviceCodeHash(hashToken(deviceCode));
    if (!record || record.expiresAt <= now) throw new AppError('EXPIRED_TOKEN', 'this device code is unknown or expired (a sign-in waits 10 minutes): start the sign-in again');
    if (record.status === 'used') throw new AppError('EXPIRED_TOKEN', 'this device code signed in already, and a code signs in once: start the sign-in again');
    if (!(await this.#repository.takePoll(record.id, now, record.intervalSeconds * 1000 - POLL_LEEWAY_MS))) {
      const interval = record.intervalSeconds + SLOW_DOWN_STEP_SECONDS;
      await this.#repository.slowDown(record.id, now, SLOW_DOWN_STEP_SECONDS);
      throw new AppError('SLOW_DOWN', `polled sooner than every ${record.intervalSeconds} s: wait ${interval} s between polls from now on`, { interval });
    }
    if (record.status === 'pending') {
      throw new AppError('AUTHORIZATION_PENDING', `waiting for the user to approve the code at ${this.#verificationUri}; poll again in ${record.intervalSeconds} s`, { interval: record.intervalSeconds });
    }
    if (record.status === 'denied') throw new AppError('ACCESS_DENIED', 'the sign-in was denied in the browser');
    const account = record.accountId ? await this.#accounts.byId(record.accountId) : undefined;
    if (!account || account.disabled) throw new AppError('ACCESS_DENIED', 'the account that approved this sign-in is disabled or gone');
    // Only one poll wins the approved → used step, whichever portal answers it: the token is handed out once.
    if (!(await this.#repository.consume(record.id, now))) throw new AppError('EXPIRED_TOKEN', 'this device code signed in already, and a code signs in once: start the sign-in again');
    const created = await this.#tokens.issue(account.id, record.name, ['read', 'write'], now + DEVICE_TOKEN_DAYS * 24 * 3600_000);
    await this.#repository.setToken(record.id, created.id);
    return { token: created.token, tokenId: created.id, account: signedInAccount(account) };
  }

  /** A sign-in waiting for an answer, as the approval page shows it. */
  async request(userCode: string): Promise<DeviceRequest> {
    const { record, code } = await this.#pending(userCode);
    return { userCode: code, client: record.client, name: record.name, address: record.address, createdAt: new Date(record.createdAt).toISOString(), expiresAt: new Date(record.expiresAt).toISOString() };
  }

  /** The signed-in user's answer to the sign-in showing `userCode`: it gets a token for `account`, or is denied. */
  async answer(userCode: string, account: Account, approve: boolean): Promise<DeviceApproved> {
    const { record, code } = await this.#pending(userCode);
    if (!(await this.#repository.answer(record.id, approve, account.id, this.#now()))) {
      // Answered (or expired) between the read and the write: say what it is now.
      await this.#pending(code);
      throw new AppError('CONFLICT', `the sign-in with code ${code} changed while you answered; reload the page`);
    }
    return { status: approve ? 'approved' : 'denied', client: record.client, name: record.name };
  }

  async #pending(userCode: string): Promise<{ record: DeviceCodeRecord; code: string }> {
    const letters = normalizeUserCode(userCode);
    if (!letters) throw new AppError('VALIDATION', `${JSON.stringify(userCode)} is not a sign-in code: it has 8 letters, like WDJB-MJHT`);
    const code = formatUserCode(letters);
    const record = await this.#repository.byUserCodeHash(hashToken(letters));
    if (!record || record.expiresAt <= this.#now()) throw new AppError('NOT_FOUND', `no sign-in waits for code ${code}: it may have expired (codes last 10 minutes); start the sign-in again on your device`);
    if (record.status !== 'pending') throw new AppError('CONFLICT', `the sign-in with code ${code} was ${record.status === 'denied' ? 'denied' : 'approved'} already`);
    return { record, code };
  }
}
