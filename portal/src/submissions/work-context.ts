import { AppError } from '@codeyard/common/errors';
import type { Audit } from '../audit/audit.js';
import { type Caller, classForTeacher } from '../classes/class-access.js';
import type { ClassRecord, ClassRepository, StudentRecord } from '../db/class-repository.js';
import type { GradeRepository } from '../db/grade-repository.js';
import type { Grader } from '../grading/grader.js';
import type { ReplService } from '../repls/repl-service.js';
import type { WorkspaceStore } from '../store/workspace-store.js';
import type { SubmissionOpens } from './open-audit.js';
import type { Submissions } from './submissions.js';

/** What the work part's routes (submissions, feedback, autograde, collect) work with. */
export interface WorkContext {
  submissions: Submissions;
  grader: Grader;
  grades: GradeRepository;
  classes: ClassRepository;
  repls: ReplService;
  workspaces: WorkspaceStore;
  audit: Audit;
  /** Which teacher reads of a submission are audited (one row per teacher per version opened). */
  opens: SubmissionOpens;
}

/**
 * One student of a class, for its teacher (or an admin): the class rule of class-access.ts, and
 * a student id of another class answered exactly as one that does not exist (404).
 */
export async function studentForTeacher(classes: ClassRepository, caller: Caller, classId: string, studentId: string): Promise<{ klass: ClassRecord; student: StudentRecord }> {
  const klass = await classForTeacher(classes, caller, classId);
  const student = await classes.student(studentId);
  if (!student || student.classId !== klass.id) throw new AppError('NOT_FOUND', `no student ${studentId} in class ${classId}`);
  return { klass, student };
}

/** The audit target of a student's repl: whose it is now (the student's account once joined). */
export function studentTarget(student: StudentRecord): { type: 'repl'; id: string; account?: string } {
  return { type: 'repl', id: student.replId, ...(student.accountId ? { account: student.accountId } : {}) };
}
