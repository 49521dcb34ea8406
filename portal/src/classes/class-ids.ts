import { createHash, randomBytes } from 'node:crypto';
import { CLASS_CODE_ALPHABET } from '@codeyard/common/api/classes';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `length` random characters of base32 (lowercase, no padding): 5 bits each. */
export function base32(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += BASE32[bytes[i]! % 32];
  return out;
}

/** A class id: `cls_` + 16 random base32 characters (80 bits). */
export const newClassId = (): string => `cls_${base32(16)}`;
/** A roster row id: `stu_` + 16 random base32 characters. */
export const newStudentId = (): string => `stu_${base32(16)}`;

/** A join link's secret: 32 random bytes, base64url (43 characters). Only its hash is stored. */
export const newLinkSecret = (): string => randomBytes(32).toString('base64url');
export const hashLinkSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** A class code: two groups of four from an alphabet without look-alikes (0/O, 1/I). */
export function newClassCode(): string {
  const bytes = randomBytes(8);
  let out = '';
  for (let i = 0; i < 8; i++) out += (i === 4 ? '-' : '') + CLASS_CODE_ALPHABET[bytes[i]! % CLASS_CODE_ALPHABET.length];
  return out;
}

/** A code as typed (any case, spaces or dashes anywhere) in its stored form, or undefined when it cannot be one. */
export function normalizeClassCode(typed: string): string | undefined {
  const bare = typed.toUpperCase().replace(/[\s-]/g, '');
  if (bare.length !== 8 || [...bare].some((c) => !CLASS_CODE_ALPHABET.includes(c))) return undefined;
  return `${bare.slice(0, 4)}-${bare.slice(4)}`;
}
