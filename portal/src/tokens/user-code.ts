import { randomInt } from 'node:crypto';

/**
 * The letters of a user code: RFC 8628 §6.1's consonants. No digits and no vowels, so no 0/O,
 * 1/I/L confusion and no words; read aloud or typed from another screen without doubt.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
/** Eight letters (20^8 ≈ 2.6·10^10, about 34 bits), shown as two groups: WDJB-MJHT. */
export const USER_CODE_LENGTH = 8;

/** A new user code, each letter drawn uniformly (randomInt has no modulo bias). */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return formatUserCode(code);
}

/** `WDJBMJHT` → `WDJB-MJHT`. */
export function formatUserCode(letters: string): string {
  return `${letters.slice(0, 4)}-${letters.slice(4)}`;
}

/**
 * A typed code as the canonical eight letters, or undefined when it cannot be one: case, dashes
 * and spaces do not matter ("wdjb mjht", "WDJB-MJHT"); a letter outside the alphabet does.
 */
export function normalizeUserCode(typed: string): string | undefined {
  const letters = typed.toUpperCase().replace(/[\s-]/g, '');
  if (letters.length !== USER_CODE_LENGTH) return undefined;
  for (const c of letters) if (!USER_CODE_ALPHABET.includes(c)) return undefined;
  return letters;
}
