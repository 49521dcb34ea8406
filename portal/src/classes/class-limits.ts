import type { ClassLimits } from '@codeyard/common/api/classes';
import { AppError } from '@codeyard/common/errors';
import type { ClassRecord } from '../db/class-repository.js';
import type { ReplRepository } from '../db/repl-repository.js';
import type { ReplRecord } from '../repls/repl-record.js';

/**
 * A class's per-student limits, applied to the repls the class makes:
 * - `memoryMb` becomes each student repl's own memory limit (ReplRecord.memoryMb): the runtime
 *   holds the repl's sandbox or pod to it, admission counts the repl at it, and it stays with the
 *   repl when a student joins and when the teacher resets it to the starter.
 * - `alwaysOn` makes each student repl always on (never idle-stopped, its app kept running) on
 *   the **teacher's** always-on allowance (the admin's setting for the account, else
 *   CODEYARD_ALWAYS_ON_PER_ACCOUNT): the teacher asks for it, so the teacher's allowance pays,
 *   and a student's own allowance stays theirs. It is counted and granted in one statement
 *   (ReplRepository.grantAlwaysOn), so classes made at once on two portals cannot overrun it.
 */
export interface ClassLimitDeps {
  records: ReplRepository;
  /** How many repls an account may keep always on (AlwaysOn.allowance); none: no always-on classes. */
  alwaysOnAllowance?: (account: string) => Promise<number>;
}

/** Refuses per-student limits above the server's own (400 naming the field and the most there is). */
export function checkClassLimits(limits: ClassLimits | undefined, server: { memoryBytes: number }): void {
  if (limits?.memoryMb !== undefined && limits.memoryMb * 1024 * 1024 > server.memoryBytes) {
    throw new AppError('VALIDATION', `limits.memoryMb: at most ${Math.floor(server.memoryBytes / 1024 / 1024)} (CODEYARD_LIMIT_MEMORY_MB)`);
  }
}

/** A new student repl's record with the class's memory limit as its own. */
export function withClassLimits(record: ReplRecord, klass: Pick<ClassRecord, 'limits'>): ReplRecord {
  return klass.limits.memoryMb ? { ...record, memoryMb: klass.limits.memoryMb } : record;
}

/** Who is told an always-on class does not fit: the teacher making or growing it, or a student joining by code. */
export type Asker = 'teacher' | 'student';

/** Refuses early (before anything is copied) `count` more always-on student repls that the teacher's allowance cannot take. */
export async function checkAlwaysOnRoom(deps: ClassLimitDeps, klass: Pick<ClassRecord, 'teacher' | 'limits'>, count: number, asker: Asker = 'teacher'): Promise<void> {
  if (!klass.limits.alwaysOn || count === 0) return;
  const allowance = (await deps.alwaysOnAllowance?.(klass.teacher)) ?? 0;
  const using = (await deps.records.alwaysOnOf(klass.teacher)).length;
  if (using + count > allowance) throw alwaysOnRefused(asker, allowance, using, count);
}

/** Makes the class's new student repls `ids` always on, on the teacher's allowance, all or none (the check again, race-safe). */
export async function grantClassAlwaysOn(deps: ClassLimitDeps, klass: Pick<ClassRecord, 'teacher' | 'limits'>, ids: readonly string[], asker: Asker = 'teacher'): Promise<void> {
  if (!klass.limits.alwaysOn || ids.length === 0) return;
  const allowance = (await deps.alwaysOnAllowance?.(klass.teacher)) ?? 0;
  if ((await deps.records.grantAlwaysOn(ids, klass.teacher, allowance)) === 'granted') return;
  throw alwaysOnRefused(asker, allowance, (await deps.records.alwaysOnOf(klass.teacher)).length, ids.length);
}

function alwaysOnRefused(asker: Asker, allowance: number, using: number, count: number): AppError {
  const details = { limit: 'alwaysOn', allowance, using, needed: count };
  const repls = (n: number): string => `${n} repl${n === 1 ? '' : 's'}`;
  if (asker === 'student') {
    return new AppError('LIMIT_REACHED', `this class keeps its students' repls always on from its teacher's always-on allowance, which is used up (${using} of ${allowance}): ask your teacher`, details);
  }
  return new AppError(
    'LIMIT_REACHED',
    `limits.alwaysOn: ${repls(count)} more always on would come from your always-on allowance, which is ${allowance} and has ${using} in use (${using + count} needed); ` +
      `ask the administrator for an allowance of at least ${using + count}, or make the class without limits.alwaysOn`,
    details,
  );
}
