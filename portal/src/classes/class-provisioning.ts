import { CLASS_OWNER_PREFIX, type RosterRow } from '@codeyard/common/api/classes';
import { describeError } from '@codeyard/common/errors';
import type { ClassRecord, ClassRepository, StudentRecord } from '../db/class-repository.js';
import type { ReplRepository } from '../db/repl-repository.js';
import { newRecord, type ReplRecord } from '../repls/repl-record.js';
import type { ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';
import { deletePrefix, mapLimit, type ObjectStore } from '../store/object-store.js';
import type { WorkspaceStore } from '../store/workspace-store.js';
import { hashLinkSecret, newLinkSecret, newStudentId } from './class-ids.js';
import { type Asker, checkAlwaysOnRoom, type ClassLimitDeps, grantClassAlwaysOn, withClassLimits } from './class-limits.js';
import { starterPrefix } from './class-starter.js';

/** The pseudo-owner of a class's repls nobody has joined yet: no account, in no dashboard, under no account's limits. */
export const classOwner = (classId: string): string => `${CLASS_OWNER_PREFIX}${classId}`;
export const isClassOwner = (owner: string): boolean => owner.startsWith(CLASS_OWNER_PREFIX);

/** How many workspace copies run at once (each is a few store copies; the store is local or S3). */
const COPY_CONCURRENCY = 8;

export interface ProvisionDeps {
  classes: ClassRepository;
  records: ReplRepository;
  repls: ReplService;
  workspaces: WorkspaceStore;
  store: ObjectStore;
  runtime: Runtime;
  portalOrigin: string;
  /** The teacher's always-on allowance, which an always-on class's repls use (class-limits.ts). */
  alwaysOnAllowance?: ClassLimitDeps['alwaysOnAllowance'];
  log: { error(obj: object, msg: string): void };
}

/** A roster row made, with its join link (the secret exists only here: the database has its hash). */
export interface Provisioned {
  student: StudentRecord;
  link?: string;
}

/** A join link for a row: `<portal>/join/<studentId>.<secret>`. */
export function joinLink(portalOrigin: string, studentId: string, secret: string): string {
  return `${portalOrigin}/join/${studentId}.${secret}`;
}

/**
 * One repl per roster row, by server-side copy of the class's starter (a manifest and its blobs;
 * nothing starts), owned by the class until a student joins. All or nothing: when any copy or
 * write fails, every repl, file and row made so far is removed before the error is thrown.
 * `insertClass` stores the class with its rows (a new class), else the rows join an existing one.
 * The class's limits come with the repls (class-limits.ts): its memory limit as each repl's own,
 * and always-on on the teacher's allowance (refused with nothing made when it does not fit).
 */
export async function provisionStudents(
  deps: ProvisionDeps,
  klass: ClassRecord,
  template: { manifest: ReplRecord['manifest']; templateVersion: string },
  rows: readonly RosterRow[],
  options: { links: boolean; insertClass: boolean; asker?: Asker },
): Promise<Provisioned[]> {
  await checkAlwaysOnRoom(deps, klass, rows.length, options.asker);
  const t0 = Date.now();
  const made: Provisioned[] = [];
  const records: ReplRecord[] = rows.map((row) => withClassLimits(newRecord(classOwner(klass.id), { manifest: template.manifest, version: template.templateVersion }, `${klass.name} – ${row.name}`.slice(0, 64).trim()), klass));
  rows.forEach((row, i) => {
    const secret = options.links ? newLinkSecret() : undefined;
    const student: StudentRecord = {
      id: newStudentId(),
      classId: klass.id,
      name: row.name,
      ...(row.email ? { email: row.email } : {}),
      ...(row.studentRef ? { studentRef: row.studentRef } : {}),
      replId: records[i]!.id,
      ...(secret ? { linkHash: hashLinkSecret(secret) } : {}),
      // A millisecond apart: the roster keeps the order it was given in.
      createdAt: new Date(t0 + i).toISOString(),
    };
    made.push({ student, ...(secret ? { link: joinLink(deps.portalOrigin, student.id, secret) } : {}) });
  });
  const copied: string[] = [];
  let inserted = false;
  try {
    await mapLimit(records, COPY_CONCURRENCY, async (record) => {
      copied.push(record.id);
      await deps.workspaces.copy(starterPrefix(klass.id), `workspaces/${record.id}/`);
      await deps.runtime.create(deps.repls.specOf(record));
    });
    await deps.records.insertMany(records);
    inserted = true;
    await grantClassAlwaysOn(deps, klass, records.map((r) => r.id), options.asker);
    const students = made.map((m) => m.student);
    if (options.insertClass) await deps.classes.insert(klass, students);
    else await deps.classes.insertStudents(students);
    return made;
  } catch (err) {
    await undoRepls(deps, copied, inserted);
    throw err;
  }
}

/** Removes repls a failed provisioning made: records, the runtime's part, files. Best effort, logged. */
export async function undoRepls(deps: Pick<ProvisionDeps, 'records' | 'runtime' | 'store' | 'log'>, ids: readonly string[], recorded: boolean): Promise<void> {
  await mapLimit(ids, COPY_CONCURRENCY, async (id) => {
    try {
      if (recorded) await deps.records.delete(id);
      await deps.runtime.delete(id);
      await deletePrefix(deps.store, `workspaces/${id}/`);
    } catch (err) {
      deps.log.error({ replId: id, err: describeError(err) }, 'could not remove a class repl after a failed provisioning');
    }
  });
}
