import type { ReplInfo } from '@codeyard/common/agent/config';
import type { ClassRepository } from '../db/class-repository.js';
import type { ReplRecord } from '../repls/repl-record.js';

/**
 * What a student's repl shows in its IDE beyond any repl's (ReplService's `ideExtras`): the name
 * of its class, so the Codeyard extension offers Submit there and nowhere else. Looked up when the
 * repl starts (a repl is a class's for its whole life); nothing for any other repl.
 */
export function classIdeInfo(classes: Pick<ClassRepository, 'studentByRepl' | 'get'>): (record: ReplRecord) => Promise<Partial<ReplInfo>> {
  return async (record) => {
    const student = await classes.studentByRepl(record.id);
    if (!student) return {};
    const klass = await classes.get(student.classId);
    return klass ? { classroom: klass.name } : {};
  };
}
