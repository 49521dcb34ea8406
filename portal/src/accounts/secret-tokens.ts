import { createHash, randomBytes } from 'node:crypto';

/**
 * The product's bearer secrets: a prefix that says the kind, then 32 random bytes in base64url
 * (43 characters). Only their SHA-256 is stored: a leaked database holds no working secret. One
 * unsalted fast hash is enough for 256 random bits (there is no password to brute-force).
 *
 * | prefix | kind | where it is kept |
 * | --- | --- | --- |
 * | `cy_` | an anonymous account's token (anonymous mode) | `legacy_tokens` |
 * | `cys_` | a browser session, cookie only | `sessions` |
 * | `cyp_` | a personal API token, bearer only | `api_tokens` (the tokens part of #14) |
 * | `cyi_` | an invite to sign up, in the invite link | `invites` |
 */
export type SecretPrefix = 'cy_' | 'cys_' | 'cyp_' | 'cyi_';

export function newSecret(prefix: SecretPrefix): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Whether `value` is a well-formed secret of this kind (anything else is refused before a lookup). */
export function isSecret(value: string | undefined, prefix: SecretPrefix): value is string {
  return value !== undefined && value.length === prefix.length + 43 && value.startsWith(prefix) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(prefix.length));
}

/** The key a secret is kept under: its SHA-256, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The prefix a token says it has (`cys_` of `cys_…`), or undefined when it has none. */
export function prefixOf(token: string): string | undefined {
  const end = token.indexOf('_');
  return end > 0 && end <= 8 ? token.slice(0, end + 1) : undefined;
}

/** A new record id: a letter for the kind, then 20 hex digits (80 random bits). */
export function newId(letter: string): string {
  return `${letter}${randomBytes(10).toString('hex')}`;
}
