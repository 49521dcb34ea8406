import { randomBytes } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += BASE32[bytes[i]! % 32];
  return out;
}

/** A submission id: `sub_` + 16 random base32 characters. */
export const newSubmissionId = (): string => `sub_${base32(16)}`;
/** A grade run id: `grd_` + 16 random base32 characters (GRADE_RUN_ID_SOURCE). */
export const newGradeRunId = (): string => `grd_${base32(16)}`;
