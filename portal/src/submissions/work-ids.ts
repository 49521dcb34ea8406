import { base32 } from '../classes/class-ids.js';

/** A submission id: `sub_` + 16 random base32 characters. */
export const newSubmissionId = (): string => `sub_${base32(16)}`;
/** A grade run id: `grd_` + 16 random base32 characters (GRADE_RUN_ID_SOURCE). */
export const newGradeRunId = (): string => `grd_${base32(16)}`;
