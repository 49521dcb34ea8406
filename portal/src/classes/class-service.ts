import type { ClassDetail, ClassList, CreateClass, Roster, StudentRow } from '@codeyard/common/api/classes';
import { AppError } from '@codeyard/common/errors';
import type { Account, Accounts } from '../accounts/accounts.js';
import type { ClassRecord, ClassRepository, StudentRecord } from '../db/class-repository.js';
import type { ReplRepository } from '../db/repl-repository.js';
import type { ReplService } from '../repls/repl-service.js';
import type { Runtime } from '../runtime/runtime.js';
import { deletePrefix, type ObjectStore } from '../store/object-store.js';
import type { WorkspaceStore } from '../store/workspace-store.js';
import type { Template } from '../templates/catalog.js';
import { type Caller, checkMayMakeClasses, classForTeacher } from './class-access.js';
import { type ClassDeleted, type ClassDeleteHook, deleteClass } from './class-delete.js';
import { hashLinkSecret, newClassCode, newClassId, newLinkSecret } from './class-ids.js';
import { joinByCode, joinByLink, joinInfo, starterTemplate } from './class-join.js';
import { checkAlwaysOnRoom, checkClassLimits } from './class-limits.js';
import { joinLink, provisionStudents, type ProvisionDeps } from './class-provisioning.js';
import { classSummary, type ClassRowExtras, noExtras, studentRows } from './class-rows.js';
import { resolveStarter, snapshotStarter, starterPrefix } from './class-starter.js';
import { parseRoster } from './roster.js';

export interface ClassServiceOptions {
  classes: ClassRepository;
  records: ReplRepository;
  repls: ReplService;
  accounts: Accounts;
  workspaces: WorkspaceStore;
  store: ObjectStore;
  runtime: Runtime;
  templates: ReadonlyMap<string, Template>;
  portalOrigin: string;
  /** Server limits a class's per-student limits may not exceed. */
  limits: { memoryBytes: number; fileBytes: number; workspaceBytes: number };
  lastActive?: (ids: readonly string[]) => Promise<Map<string, number>>;
  /** How many repls an account may keep always on: an always-on class's repls use its teacher's (class-limits.ts). */
  alwaysOnAllowance?: (account: string) => Promise<number>;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Classes as their teachers and students use them: every teacher call goes through
 * classForTeacher (class-access.ts), so a class of someone else is a 404 everywhere.
 */
export class ClassService {
  readonly #o: ClassServiceOptions;
  readonly #provision: ProvisionDeps;
  /** The work part's columns (submissions, grades); set once at start. */
  extras: ClassRowExtras = noExtras;
  /** What the work part deletes with a class (its grade runs), added once at start. */
  readonly deleteHooks: ClassDeleteHook[] = [];

  constructor(options: ClassServiceOptions) {
    this.#o = options;
    this.#provision = { ...options };
  }

  /** What provisioning and joining work with (the join routes bind rows through it). */
  get provisionDeps(): ProvisionDeps {
    return this.#provision;
  }

  get repository(): ClassRepository {
    return this.#o.classes;
  }

  /** The class if `account` may teach it; 404 otherwise. */
  teach(caller: Caller, id: string): Promise<ClassRecord> {
    return classForTeacher(this.#o.classes, caller, id);
  }

  /** A roster row of a class the caller teaches (404 for a row of another class). */
  async student(account: Caller, classId: string, studentId: string): Promise<{ klass: ClassRecord; student: StudentRecord }> {
    const klass = await this.teach(account, classId);
    const student = await this.#o.classes.student(studentId);
    if (!student || student.classId !== klass.id) throw new AppError('NOT_FOUND', `no student ${studentId} in class ${classId}`);
    return { klass, student };
  }

  /** Makes a class: the starter copied once, then one repl per roster row (all or nothing). */
  async create(caller: Caller, body: CreateClass): Promise<ClassDetail> {
    const account = caller.account;
    checkMayMakeClasses(account);
    const rows = parseRoster(body.roster);
    checkClassLimits(body.limits, this.#o.limits);
    // An always-on class the teacher's allowance cannot take is refused before the starter is copied.
    await checkAlwaysOnRoom(this.#o, { teacher: account.id, limits: body.limits ?? {} }, rows.length);
    if (body.dueAt !== undefined && Number.isNaN(Date.parse(body.dueAt))) throw new AppError('VALIDATION', 'dueAt: not a date-time');
    const resolved = await resolveStarter(body.starter, account.id, this.#o);
    const name = body.name.trim();
    if (!name) throw new AppError('VALIDATION', 'name: 1 to 100 printable characters');
    const klass: ClassRecord = {
      id: newClassId(),
      teacher: account.id,
      name,
      starter: resolved.starter,
      ...(body.dueAt ? { dueAt: new Date(body.dueAt).toISOString() } : {}),
      limits: body.limits ?? {},
      createdAt: new Date().toISOString(),
    };
    if (body.code !== false) klass.code = newClassCode(); // 32^8: a collision is refused by the unique key and the class made without
    try {
      await snapshotStarter(resolved, klass.id, { ...this.#o, fileBytes: this.#o.limits.fileBytes });
      const made = await provisionStudents(this.#provision, klass, resolved, rows, { links: true, insertClass: true });
      this.#o.log.info({ classId: klass.id, teacher: account.id, students: made.length }, 'class created');
      return this.#detail(klass, made.map((m) => m.student), new Map(made.map((m) => [m.student.id, m.link!])));
    } catch (err) {
      await deletePrefix(this.#o.store, `classes/${klass.id}/`).catch(() => undefined);
      throw err;
    }
  }

  /** The classes the account teaches and attends. */
  async list(account: Account): Promise<ClassList> {
    const teaching = await Promise.all((await this.#o.classes.listByTeacher(account.id)).map((c) => classSummary(this.#o, c, c)));
    const attending = await Promise.all(
      (await this.#o.classes.attending(account.id)).map(async ({ klass, student }) => {
        const extra = (await this.extras.rows(klass.id, [student])).get(student.id);
        return {
          id: klass.id,
          name: klass.name,
          teacher: { name: (await this.#o.accounts.byId(klass.teacher))?.name ?? null },
          studentId: student.id,
          replId: student.replId,
          dueAt: klass.dueAt ?? null,
          joinedAt: student.joinedAt!,
          ...(extra?.submittedAt ? { submittedAt: extra.submittedAt } : {}),
          submissions: extra?.submissions ?? 0,
        };
      }),
    );
    return { teaching, attending };
  }

  async detail(account: Caller, id: string): Promise<ClassDetail> {
    const klass = await this.teach(account, id);
    return this.#detail(klass, await this.#o.classes.students(klass.id));
  }

  async #detail(klass: ClassRecord, students: StudentRecord[], links?: ReadonlyMap<string, string>): Promise<ClassDetail> {
    const counts = { students: students.length, joined: students.filter((s) => s.accountId).length };
    return { ...(await classSummary(this.#o, klass, counts)), limits: klass.limits, students: await this.rows(klass, students, links) };
  }

  rows(klass: ClassRecord, students: readonly StudentRecord[], links?: ReadonlyMap<string, string>): Promise<StudentRow[]> {
    return studentRows({ ...this.#o, extras: this.extras }, klass, students, links);
  }

  /** More students for a class: their repls made like the first ones', with links. */
  async addStudents(account: Caller, id: string, roster: Roster): Promise<StudentRow[]> {
    const klass = await this.teach(account, id);
    const existing = await this.#o.classes.students(klass.id);
    const rows = parseRoster(roster, existing);
    const made = await provisionStudents(this.#provision, klass, await starterTemplate(this.#o, klass), rows, { links: true, insertClass: false });
    return this.rows(klass, made.map((m) => m.student), new Map(made.map((m) => [m.student.id, m.link!])));
  }

  /**
   * Deletes a class the caller teaches (class-delete.ts): unjoined repls with it, joined ones left
   * to their students. A deletion that fails half-way can be asked for again.
   */
  async delete(caller: Caller, id: string): Promise<{ klass: ClassRecord } & ClassDeleted> {
    const klass = await this.teach(caller, id);
    return { klass, ...(await deleteClass(this.#o, klass, this.deleteHooks)) };
  }

  /** A new join link for a row (the old one stops working); a row someone joined has no use for one. */
  async reissueLink(account: Caller, classId: string, studentId: string): Promise<string> {
    const { student } = await this.student(account, classId, studentId);
    if (student.accountId) throw new AppError('CONFLICT', `${student.name} has joined already; their repl is theirs (a link would have nothing to join)`);
    const secret = newLinkSecret();
    await this.#o.classes.setLinkHash(student.id, hashLinkSecret(secret));
    return joinLink(this.#o.portalOrigin, student.id, secret);
  }

  async revokeLink(account: Caller, classId: string, studentId: string): Promise<StudentRecord> {
    const { student } = await this.student(account, classId, studentId);
    await this.#o.classes.setLinkHash(student.id, null);
    return student;
  }

  /** A new class code (the old one stops working), or none. */
  async setCode(account: Caller, classId: string, on: boolean): Promise<string | null> {
    const klass = await this.teach(account, classId);
    if (!on) {
      await this.#o.classes.setCode(klass.id, null);
      return null;
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = newClassCode();
      if (await this.#o.classes.setCode(klass.id, code)) return code;
    }
    throw new AppError('UNAVAILABLE', 'no free class code was found; try again');
  }

  join(account: Account, body: { link: string } | { code: string }): Promise<{ klass: ClassRecord; student: StudentRecord; fresh: boolean }> {
    if (account.anonymous) throw new AppError('FORBIDDEN', 'joining a class needs an account of your own: sign in or sign up first');
    return 'link' in body ? joinByLink(this.#provision, account, body.link) : joinByCode(this.#provision, account, body.code);
  }

  info(link: string, signupThroughLink: boolean): ReturnType<typeof joinInfo> {
    return joinInfo({ ...this.#o, signupThroughLink, teacherName: async (id) => (await this.#o.accounts.byId(id))?.name ?? null }, link);
  }

  starterPrefix(klass: ClassRecord): string {
    return starterPrefix(klass.id);
  }
}
