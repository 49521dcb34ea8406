import { AppError } from '@codeyard/common/errors';
import { RateLimiter } from '@codeyard/common/rate-limit';
import { emailKey } from '../db/account-repository.js';

/** Attempts one account may get at once before its hourly rate applies. */
const ACCOUNT_BURST = 10;

export interface SignInLimitsOptions {
  /** Sign-in attempts (and owner-link uses) per client address per minute. */
  perAddressPerMinute: number;
  /** Sign-in attempts per account (by email) per hour, whatever address they come from. */
  perAccountPerHour: number;
  /** New accounts per client address per hour. */
  signupsPerHour: number;
}

const limited = (wait: number, what: string): AppError =>
  new AppError('RATE_LIMITED', `too many ${what}; try again in ${wait} s`, { retryAfterSeconds: wait });

/**
 * Brute force and abuse of the sign-in routes: attempts per client address (its real address
 * behind a trusted proxy: CODEYARD_TRUSTED_PROXIES), attempts per account from anywhere (a
 * password guessed from many addresses), and sign-ups per address. Counted in each portal's
 * memory (token buckets, bounded), like the other rate limits: with several replicas each
 * allows its share.
 */
export class SignInLimits {
  readonly #address: RateLimiter;
  readonly #account: RateLimiter;
  readonly #signups: RateLimiter;

  constructor(options: SignInLimitsOptions) {
    this.#address = new RateLimiter({ perMinute: options.perAddressPerMinute });
    this.#account = new RateLimiter({ perMinute: options.perAccountPerHour / 60, capacity: Math.min(ACCOUNT_BURST, options.perAccountPerHour) });
    this.#signups = new RateLimiter({ perMinute: options.signupsPerHour / 60, capacity: options.signupsPerHour });
  }

  /** One sign-in attempt (RATE_LIMITED with the wait when over either limit). */
  signIn(address: string, email?: string): void {
    const wait = this.#address.take(address);
    if (wait) throw limited(wait, 'sign-in attempts from this address');
    if (email === undefined) return;
    const accountWait = this.#account.take(emailKey(email));
    if (accountWait) throw limited(accountWait, `sign-in attempts for ${email.trim()}; if that is your account and you forgot the password, ask an admin`);
  }

  /** One sign-up (RATE_LIMITED when this address made too many accounts lately). */
  signUp(address: string): void {
    const wait = this.#signups.take(address);
    if (wait) throw limited(wait, 'new accounts from this address');
  }
}
