import { timingSafeEqual } from 'node:crypto';
import { JOIN_TOKEN_PATTERN, type JoinInfo } from '@codeyard/common/api/classes';
import { AppError } from '@codeyard/common/errors';
import type { Account } from '../accounts/accounts.js';
import type { ClassRecord, StudentRecord } from '../db/class-repository.js';
import type { ReplRecord } from '../repls/repl-record.js';
import { hashLinkSecret, normalizeClassCode } from './class-ids.js';
import { classOwner, provisionStudents, type ProvisionDeps } from './class-provisioning.js';

const linkGone = (): AppError => new AppError('NOT_FOUND', 'this join link does not work (it was revoked, replaced or mistyped): ask your teacher for a new link');

/** The `<studentId>.<secret>` of a join link, from the whole link or that part alone. */
export function parseJoinToken(link: string): { studentId: string; secret: string } {
  const last = link.trim().replace(/[?#].*$/, '').split('/').pop() ?? '';
  const match = JOIN_TOKEN_PATTERN.exec(last);
  if (!match) throw new AppError('VALIDATION', 'link: not a join link (it looks like <portal>/join/stu_….<secret>); copy the whole link your teacher sent');
  return { studentId: match[1]!, secret: match[2]! };
}

/** The row a link opens, if the link still works (its secret is the row's current one). */
export async function rowOfLink(deps: Pick<ProvisionDeps, 'classes'>, link: string): Promise<{ student: StudentRecord; klass: ClassRecord }> {
  const { studentId, secret } = parseJoinToken(link);
  const student = await deps.classes.student(studentId);
  const expected = student?.linkHash ? Buffer.from(student.linkHash, 'hex') : undefined;
  const given = Buffer.from(hashLinkSecret(secret), 'hex');
  if (!student || !expected || expected.length !== given.length || !timingSafeEqual(expected, given)) throw linkGone();
  const klass = await deps.classes.get(student.classId);
  if (!klass) throw linkGone();
  return { student, klass };
}

/** What the join page shows for a link (the link is the credential: anyone holding it may see this much). */
export async function joinInfo(deps: Pick<ProvisionDeps, 'classes'> & { teacherName(id: string): Promise<string | null>; signupThroughLink: boolean }, link: string): Promise<JoinInfo> {
  const { student, klass } = await rowOfLink(deps, link);
  return {
    className: klass.name,
    teacherName: await deps.teacherName(klass.teacher),
    studentName: student.name,
    email: student.email ?? null,
    joined: student.accountId !== undefined,
    signup: deps.signupThroughLink && student.accountId === undefined,
  };
}

/** Refuses an account a row is not for: a roster address, when given, must be the account's. */
export function checkRowFor(student: StudentRecord, account: Pick<Account, 'email'>): void {
  if (student.email && student.email.toLowerCase() !== account.email?.toLowerCase()) {
    throw new AppError('FORBIDDEN', `this join link is for ${student.email}; sign in with that address (or ask your teacher to change the roster)`);
  }
}

/**
 * Binds a row to an account and hands its repl over (compare-and-set on both: the row must be
 * free, the repl still the class's). A link another account holds is 409 LINK_TAKEN; the same
 * account opening it again gets its row back.
 */
export async function bindRow(deps: ProvisionDeps, klass: ClassRecord, student: StudentRecord, account: Account): Promise<{ student: StudentRecord; fresh: boolean }> {
  if (student.accountId === account.id) return { student, fresh: false };
  if (klass.teacher === account.id) throw new AppError('CONFLICT', 'you teach this class: a student opens this link with their own account');
  checkRowFor(student, account);
  const outcome = await deps.classes.bind(student.id, account.id, new Date().toISOString());
  if (outcome === 'taken') throw new AppError('LINK_TAKEN', 'another account has already joined with this link: ask your teacher for a new link');
  if (outcome === 'member') throw new AppError('CONFLICT', 'this account has joined this class already (as another student of its roster)');
  const current = (await deps.classes.student(student.id))!;
  if (current.joinedAt && !(await deps.records.reassignOwner(student.replId, classOwner(klass.id), account.id))) {
    const repl = await deps.records.get(student.replId);
    if (repl?.owner !== account.id) {
      await deps.classes.unbind(student.id, account.id);
      throw new AppError('CONFLICT', "this student's repl could not be handed over (it changed hands meanwhile); try again");
    }
  }
  return { student: current, fresh: true };
}

/** Joins by link: the row it names, bound to this account. */
export async function joinByLink(deps: ProvisionDeps, account: Account, link: string): Promise<{ klass: ClassRecord; student: StudentRecord; fresh: boolean }> {
  const { student, klass } = await rowOfLink(deps, link);
  if (student.accountId && student.accountId !== account.id) throw new AppError('LINK_TAKEN', 'another account has already joined with this link: ask your teacher for a new link');
  return { klass, ...(await bindRow(deps, klass, student, account)) };
}

/**
 * Joins by class code: the account's row if it has one, else the free roster row with its
 * address, else a new row with a fresh copy of the starter (the roster grows by one).
 */
export async function joinByCode(deps: ProvisionDeps, account: Account, code: string): Promise<{ klass: ClassRecord; student: StudentRecord; fresh: boolean }> {
  const normalized = normalizeClassCode(code);
  const klass = normalized ? await deps.classes.byCode(normalized) : undefined;
  if (!klass) throw new AppError('NOT_FOUND', 'no class has this code (it may have been changed or turned off): check it with your teacher');
  const mine = await deps.classes.studentOfAccount(klass.id, account.id);
  if (mine) return { klass, student: mine, fresh: false };
  const rostered = account.email ? await deps.classes.studentByEmail(klass.id, account.email) : undefined;
  if (rostered && !rostered.accountId) return { klass, ...(await bindRow(deps, klass, rostered, account)) };
  if (rostered) throw new AppError('CONFLICT', `the roster row for ${account.email} was joined by another account: ask your teacher`);
  if (klass.teacher === account.id) throw new AppError('CONFLICT', 'you teach this class: a student types its code with their own account');
  const { students } = await deps.classes.counts(klass.id);
  if (students >= 500) throw new AppError('LIMIT_REACHED', 'this class is full (500 students)');
  const [made] = await provisionStudents(deps, klass, await starterTemplate(deps, klass), [{ name: account.name ?? account.email ?? 'Student', ...(account.email ? { email: account.email } : {}) }], { links: false, insertClass: false, asker: 'student' });
  return { klass, ...(await bindRow(deps, klass, made!.student, account)) };
}

/** The stack manifest and template version student repls of a class are made with: the first row's repl's (all share them). */
export async function starterTemplate(deps: Pick<ProvisionDeps, 'classes' | 'records'>, klass: ClassRecord): Promise<{ manifest: ReplRecord['manifest']; templateVersion: string }> {
  const [first] = await deps.classes.students(klass.id);
  const record = first ? await deps.records.get(first.replId) : undefined;
  if (record) return { manifest: record.manifest, templateVersion: record.templateVersion };
  throw new AppError('CONFLICT', 'this class has no student repl to copy its stack from; ask your teacher to add you');
}
