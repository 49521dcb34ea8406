import type { Kysely, Selectable } from 'kysely';
import type { ClassLimits, ClassStarter } from '@codeyard/common/api/classes';
import { emailKey } from './account-repository.js';
import type { ClassesTable, ClassStudentsTable, Tables } from './schema.js';

/** A class as stored. */
export interface ClassRecord {
  id: string;
  teacher: string;
  name: string;
  starter: ClassStarter & { stack: string };
  code?: string;
  dueAt?: string;
  limits: ClassLimits;
  createdAt: string;
}

/** A roster row as stored (the link only as the hash of its secret). */
export interface StudentRecord {
  id: string;
  classId: string;
  name: string;
  email?: string;
  studentRef?: string;
  accountId?: string;
  replId: string;
  linkHash?: string;
  joinedAt?: string;
  createdAt: string;
}

/** What a student sees of a class they joined, with the row. */
export interface AttendingRecord {
  klass: ClassRecord;
  student: StudentRecord;
}

/**
 * Classes and their rosters. Binding a row to an account is a compare-and-set (only a row no
 * account holds yet), so two people opening one link at once cannot both get it; the unique
 * pairs (class, address) and (class, account) are the database's, on every portal.
 */
export class ClassRepository {
  constructor(readonly db: Kysely<Tables>) {}

  /** Stores a class and its first rows: the rows in one statement, so they are all there or none. */
  async insert(klass: ClassRecord, students: StudentRecord[]): Promise<void> {
    await this.db.insertInto('classes').values(classRow(klass)).execute();
    try {
      if (students.length) await this.insertStudents(students);
    } catch (err) {
      await this.delete(klass.id);
      throw err;
    }
  }

  async insertStudents(students: StudentRecord[]): Promise<void> {
    // In chunks far below either dialect's bound on parameters per statement; a chunk that fails
    // takes the ones before it back out, so a roster is added whole or not at all.
    const done: string[] = [];
    try {
      for (let i = 0; i < students.length; i += 200) {
        const chunk = students.slice(i, i + 200);
        await this.db.insertInto('class_students').values(chunk.map(studentRow)).execute();
        done.push(...chunk.map((s) => s.id));
      }
    } catch (err) {
      await this.deleteStudents(done);
      throw err;
    }
  }

  async get(id: string): Promise<ClassRecord | undefined> {
    const row = await this.db.selectFrom('classes').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toClass(row);
  }

  /** A teacher's classes, newest first, with how many rows each has and how many joined. */
  async listByTeacher(teacher: string): Promise<Array<ClassRecord & { students: number; joined: number }>> {
    const rows = await this.db
      .selectFrom('classes')
      .leftJoin('class_students', 'class_students.class_id', 'classes.id')
      .selectAll('classes')
      .select((eb) => [eb.fn.count<string | number>('class_students.id').as('students'), eb.fn.count<string | number>('class_students.account_id').as('joined')])
      .where('classes.teacher', '=', teacher)
      .groupBy(['classes.id', 'classes.teacher', 'classes.name', 'classes.starter', 'classes.code', 'classes.due_at', 'classes.limits', 'classes.created_at'])
      .orderBy('classes.created_at', 'desc')
      .execute();
    return rows.map((row) => ({ ...toClass(row), students: Number(row.students), joined: Number(row.joined) }));
  }

  async counts(classId: string): Promise<{ students: number; joined: number }> {
    const row = await this.db
      .selectFrom('class_students')
      .select((eb) => [eb.fn.countAll<string | number>().as('students'), eb.fn.count<string | number>('account_id').as('joined')])
      .where('class_id', '=', classId)
      .executeTakeFirstOrThrow();
    return { students: Number(row.students), joined: Number(row.joined) };
  }

  /** The roster in the order it was given. */
  async students(classId: string): Promise<StudentRecord[]> {
    const rows = await this.db.selectFrom('class_students').selectAll().where('class_id', '=', classId).orderBy('created_at').orderBy('id').execute();
    return rows.map(toStudent);
  }

  async student(id: string): Promise<StudentRecord | undefined> {
    const row = await this.db.selectFrom('class_students').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toStudent(row);
  }

  async studentByRepl(replId: string): Promise<StudentRecord | undefined> {
    const row = await this.db.selectFrom('class_students').selectAll().where('repl_id', '=', replId).executeTakeFirst();
    return row && toStudent(row);
  }

  async studentByEmail(classId: string, email: string): Promise<StudentRecord | undefined> {
    const row = await this.db.selectFrom('class_students').selectAll().where('class_id', '=', classId).where('email_key', '=', emailKey(email)).executeTakeFirst();
    return row && toStudent(row);
  }

  async studentOfAccount(classId: string, accountId: string): Promise<StudentRecord | undefined> {
    const row = await this.db.selectFrom('class_students').selectAll().where('class_id', '=', classId).where('account_id', '=', accountId).executeTakeFirst();
    return row && toStudent(row);
  }

  /** The classes an account joined, newest join first. */
  async attending(accountId: string): Promise<AttendingRecord[]> {
    const rows = await this.db
      .selectFrom('class_students')
      .innerJoin('classes', 'classes.id', 'class_students.class_id')
      .selectAll('class_students')
      .select(['classes.teacher as c_teacher', 'classes.name as c_name', 'classes.starter as c_starter', 'classes.code as c_code', 'classes.due_at as c_due_at', 'classes.limits as c_limits', 'classes.created_at as c_created_at'])
      .where('class_students.account_id', '=', accountId)
      .orderBy('class_students.joined_at', 'desc')
      .execute();
    return rows.map((row) => ({
      student: toStudent(row),
      klass: toClass({ id: row.class_id, teacher: row.c_teacher, name: row.c_name, starter: row.c_starter, code: row.c_code, due_at: row.c_due_at, limits: row.c_limits, created_at: row.c_created_at }),
    }));
  }

  async byCode(code: string): Promise<ClassRecord | undefined> {
    const row = await this.db.selectFrom('classes').selectAll().where('code', '=', code).executeTakeFirst();
    return row && toClass(row);
  }

  /** Sets (or with null turns off) the class code; false when another class has this one. */
  async setCode(classId: string, code: string | null): Promise<boolean> {
    try {
      await this.db.updateTable('classes').set({ code }).where('id', '=', classId).execute();
      return true;
    } catch (err) {
      if (code !== null && isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** A new link secret's hash for a row (reissue), or null (revoke): the old link stops working at once. */
  async setLinkHash(studentId: string, hash: string | null): Promise<boolean> {
    const result = await this.db.updateTable('class_students').set({ link_hash: hash }).where('id', '=', studentId).executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Every join link of a class stops working (the class is being deleted). */
  async revokeLinks(classId: string): Promise<void> {
    await this.db.updateTable('class_students').set({ link_hash: null }).where('class_id', '=', classId).execute();
  }

  async studentByLinkHash(hash: string): Promise<StudentRecord | undefined> {
    const row = await this.db.selectFrom('class_students').selectAll().where('link_hash', '=', hash).executeTakeFirst();
    return row && toStudent(row);
  }

  /**
   * Binds a row to an account unless one holds it already: `bound`, `taken` (another account
   * holds it) or `member` (this account holds another row of the class).
   */
  async bind(studentId: string, accountId: string, at: string): Promise<'bound' | 'taken' | 'member'> {
    try {
      const result = await this.db
        .updateTable('class_students')
        .set({ account_id: accountId, joined_at: at })
        .where('id', '=', studentId)
        .where('account_id', 'is', null)
        .executeTakeFirst();
      if (result.numUpdatedRows === 1n) return 'bound';
    } catch (err) {
      if (isUniqueViolation(err)) return 'member';
      throw err;
    }
    const current = await this.student(studentId);
    return current?.accountId === accountId ? 'bound' : 'taken';
  }

  /** Undoes a bind whose repl could not be handed over (only while this account holds the row). */
  async unbind(studentId: string, accountId: string): Promise<void> {
    await this.db.updateTable('class_students').set({ account_id: null, joined_at: null }).where('id', '=', studentId).where('account_id', '=', accountId).execute();
  }

  async deleteStudents(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 200) await this.db.deleteFrom('class_students').where('id', 'in', ids.slice(i, i + 200)).execute();
  }

  async delete(classId: string): Promise<void> {
    await this.db.deleteFrom('class_students').where('class_id', '=', classId).execute();
    await this.db.deleteFrom('classes').where('id', '=', classId).execute();
  }
}

/** A unique constraint refused the write (SQLite's and PostgreSQL's wording). */
function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === '23505' || (typeof e?.message === 'string' && /UNIQUE constraint failed/i.test(e.message));
}

function classRow(klass: ClassRecord): Selectable<ClassesTable> {
  return {
    id: klass.id,
    teacher: klass.teacher,
    name: klass.name,
    starter: JSON.stringify(klass.starter),
    code: klass.code ?? null,
    due_at: klass.dueAt ?? null,
    limits: JSON.stringify(klass.limits),
    created_at: klass.createdAt,
  };
}

function studentRow(s: StudentRecord): Selectable<ClassStudentsTable> {
  return {
    id: s.id,
    class_id: s.classId,
    name: s.name,
    email: s.email ?? null,
    email_key: s.email === undefined ? null : emailKey(s.email),
    student_ref: s.studentRef ?? null,
    account_id: s.accountId ?? null,
    repl_id: s.replId,
    link_hash: s.linkHash ?? null,
    joined_at: s.joinedAt ?? null,
    created_at: s.createdAt,
  };
}

function toClass(row: Selectable<ClassesTable>): ClassRecord {
  return {
    id: row.id,
    teacher: row.teacher,
    name: row.name,
    starter: JSON.parse(row.starter) as ClassRecord['starter'],
    ...(row.code ? { code: row.code } : {}),
    ...(row.due_at ? { dueAt: row.due_at } : {}),
    limits: JSON.parse(row.limits) as ClassLimits,
    createdAt: row.created_at,
  };
}

function toStudent(row: Selectable<ClassStudentsTable>): StudentRecord {
  return {
    id: row.id,
    classId: row.class_id,
    name: row.name,
    ...(row.email ? { email: row.email } : {}),
    ...(row.student_ref ? { studentRef: row.student_ref } : {}),
    ...(row.account_id ? { accountId: row.account_id } : {}),
    replId: row.repl_id,
    ...(row.link_hash ? { linkHash: row.link_hash } : {}),
    ...(row.joined_at ? { joinedAt: row.joined_at } : {}),
    createdAt: row.created_at,
  };
}

