import type { ClassRecord, ClassRepository, StudentRecord } from '../db/class-repository.js';
import type { ReplRepository } from '../db/repl-repository.js';
import type { ReplService } from '../repls/repl-service.js';
import { deletePrefix, mapLimit, type ObjectStore } from '../store/object-store.js';
import { classOwner } from './class-provisioning.js';
import { starterPrefix } from './class-starter.js';

/**
 * The owner a class's unjoined repl is handed to while its class is being deleted: still a class
 * pseudo-owner (no account's dashboard or limits), but no longer `class:<id>`, so a join racing the
 * deletion loses its compare-and-set on the owner (its bind is undone, 409) instead of the
 * deletion removing a repl that has just become a student's.
 */
export const deletingOwner = (classId: string): string => `${classOwner(classId)}:deleting`;

/** What else goes with a class (the work part's grade runs; its submissions are the students'). */
export type ClassDeleteHook = (klass: ClassRecord, students: readonly StudentRecord[]) => Promise<unknown>;

export interface ClassDeleteDeps {
  classes: ClassRepository;
  records: ReplRepository;
  repls: ReplService;
  store: ObjectStore;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** What a deletion did, for the audit row. */
export interface ClassDeleted {
  deletedRepls: number;
  detachedRepls: number;
  students: number;
}

/**
 * Deletes a class, in an order that can stop anywhere and be run again (the class row goes
 * last, so a deletion that failed half-way leaves the class there, its joining already off, and
 * the teacher's next DELETE finishes it):
 *
 * 1. the class code and every join link stop working (nobody new joins while the rest happens);
 * 2. each repl nobody joined is taken from `class:<id>` by compare-and-set (see deletingOwner),
 *    then deleted like any repl (its sandbox stopped and removed, the record, its stored
 *    workspace); a repl whose record is already gone has its stored files removed again;
 * 3. repls students joined stay theirs: losing the roster row is what detaches them, and one kept
 *    always on by the teacher's allowance (the class's `limits.alwaysOn`) is no longer;
 * 4. the hooks (the work part: grade runs deleted, submissions detached from the rows), the
 *    starter's copy in the store, then the roster rows and the class row.
 */
export async function deleteClass(deps: ClassDeleteDeps, klass: ClassRecord, hooks: readonly ClassDeleteHook[]): Promise<ClassDeleted> {
  await deps.classes.setCode(klass.id, null);
  await deps.classes.revokeLinks(klass.id);
  let deletedRepls = 0;
  let detachedRepls = 0;
  const done = new Map<string, StudentRecord>();
  // A walk-in who typed the code just before it went off may add a row meanwhile: read the
  // roster again until it holds nothing new (bounded: such a join makes one row).
  for (let pass = 0; pass < 3; pass++) {
    const fresh = (await deps.classes.students(klass.id)).filter((s) => !done.has(s.id));
    if (!fresh.length) break;
    await mapLimit(fresh, 4, async (student) => {
      if (await deleteUnjoinedRepl(deps, klass, student)) deletedRepls++;
      else detachedRepls++;
    });
    for (const s of fresh) done.set(s.id, s);
  }
  const students = [...done.values()];
  for (const hook of hooks) await hook(klass, students);
  // The starter's copy before the rows: a store failure here leaves the class to delete again.
  await deletePrefix(deps.store, starterPrefix(klass.id));
  await deps.classes.delete(klass.id);
  deps.log.info({ classId: klass.id, deletedRepls, detachedRepls }, 'class deleted');
  return { deletedRepls, detachedRepls, students: students.length };
}

/** Deletes the row's repl if no student has it (true), or leaves it to its student (false). */
async function deleteUnjoinedRepl(deps: ClassDeleteDeps, klass: ClassRecord, student: StudentRecord): Promise<boolean> {
  const tombstone = deletingOwner(klass.id);
  // A row someone joined: the repl is theirs (even if they deleted it since). Otherwise take it
  // from the class, unless a join won the race to it a moment ago.
  if (student.accountId) {
    await endTeachersGrant(deps, klass, student.replId);
    return false;
  }
  await deps.records.reassignOwner(student.replId, classOwner(klass.id), tombstone);
  const record = await deps.records.get(student.replId);
  if (record && record.owner !== tombstone) return false;
  if (record) {
    // The runtime's delete stops it first if it runs; then the record, its workspace, what was kept with it.
    await deps.repls.remove(tombstone, record.id);
  } else {
    // A deletion before this one removed the record but maybe not all of its files.
    await deletePrefix(deps.store, `workspaces/${student.replId}/`);
    await deletePrefix(deps.store, `submissions/${student.replId}/`);
  }
  return true;
}

/**
 * An always-on class repl a student joined was kept on by the teacher's allowance (class-limits.ts):
 * the grant ends with the class, so the repl goes back to stopping when idle, and the teacher's
 * places are theirs again. The student may mark it always on from their own allowance.
 */
async function endTeachersGrant(deps: ClassDeleteDeps, klass: ClassRecord, replId: string): Promise<void> {
  const record = await deps.records.get(replId);
  if (record?.alwaysOn && record.alwaysOnBy === klass.teacher && record.owner !== klass.teacher) await deps.records.setAlwaysOn(replId, record.owner, false, 0);
}
