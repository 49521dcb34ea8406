import { randomBytes } from 'node:crypto';

/**
 * A repl's id: 12 characters of lowercase base32 with a letter first. It is a DNS label of its
 * own and never contains `-`, so `<id>-<port>` in a preview hostname parses back. The repl
 * service makes every id; everything else only checks one with {@link isReplId}.
 */
export type ReplId = string;

/** The pattern's source, for JSON schemas and URL patterns that embed it. */
export const REPL_ID_SOURCE = '[a-z][a-z2-7]{11}';
export const REPL_ID_PATTERN = new RegExp(`^${REPL_ID_SOURCE}$`);

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** A new repl id: 12 characters, a letter first, 59 random bits. */
export function newReplId(): ReplId {
  const bytes = randomBytes(12);
  let id = ID_ALPHABET[bytes[0]! % 26]!;
  for (let i = 1; i < 12; i++) id += ID_ALPHABET[bytes[i]! % 32];
  return id;
}

/** The one check of a repl id, wherever one arrives (URL, hostname, folder name, request). */
export function isReplId(value: unknown): value is ReplId {
  return typeof value === 'string' && REPL_ID_PATTERN.test(value);
}
