import { AppError } from '@codeyard/common/errors';
import type { Account } from '../accounts/accounts.js';
import type { ClassRecord, ClassRepository } from '../db/class-repository.js';

/**
 * The one rule of who may teach a class, called by every class route: its teacher, or an admin.
 * Anyone else is answered exactly as for a class that does not exist (404), so class ids cannot
 * be probed, as repl ids cannot.
 */
export async function classForTeacher(classes: ClassRepository, caller: Caller, id: string): Promise<ClassRecord> {
  const klass = await classes.get(id);
  if (!klass || !mayTeach(caller, klass)) throw new AppError('NOT_FOUND', `no class ${id}`);
  return klass;
}

/** Who is asking: the account, and the scopes of the credential it came with. */
export interface Caller {
  account: Pick<Account, 'id' | 'role' | 'anonymous'>;
  /** An admin reaches others' classes only with the `admin` scope, as others' repls (open-as-admin.ts). */
  scopes: readonly string[];
}

export function mayTeach(caller: Caller, klass: Pick<ClassRecord, 'teacher'>): boolean {
  return klass.teacher === caller.account.id || (caller.account.role === 'admin' && caller.scopes.includes('admin'));
}

/** Making a class needs role teacher or admin (403 naming the role, not a 404: the route is no secret). */
export function checkMayMakeClasses(account: Pick<Account, 'role' | 'anonymous'>): void {
  if (account.anonymous || (account.role !== 'teacher' && account.role !== 'admin')) {
    throw new AppError('FORBIDDEN', `making a class needs the teacher or admin role; this account is a ${account.anonymous ? 'anonymous account' : account.role} (an admin can change roles on the admin page)`);
  }
}
