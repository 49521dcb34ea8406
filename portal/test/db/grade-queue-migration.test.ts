import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Kysely } from 'kysely';
import { migrateToLatest, migrateUpTo } from '../../src/db/migrations.js';
import { nodeSqliteDialect } from '../../src/db/sqlite-dialect.js';

/**
 * Migration 013 on a database that graded before it (SQLite): results of an unfinished run get
 * their student's repl from the roster, so a portal can claim and grade them; a result whose
 * student is gone gets none (the grader then answers it with an error naming that).
 */
describe('migration 013-grade-queue', () => {
  it("fills in each stored result's repl from the roster", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-mig013-'));
    const { dialect } = nodeSqliteDialect(path.join(dir, 'codeyard.db'));
    const db = new Kysely<unknown>({ dialect });
    try {
      await migrateUpTo(db, '011-account-quotas');
      const now = new Date().toISOString();
      const raw = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
      await raw.insertInto('classes').values({ id: 'cls_old', teacher: 'u-t', name: 'Old', starter: '{"stack":"node"}', limits: '{}', created_at: now }).execute();
      await raw.insertInto('class_students').values({ id: 'stu_here', class_id: 'cls_old', name: 'Here', repl_id: 'r-here', created_at: now }).execute();
      await raw.insertInto('grade_runs').values({ id: 'grd_old', class_id: 'cls_old', command: 'npm test', started_by: 'u-t', created_at: now, finished_at: null }).execute();
      for (const student of ['stu_here', 'stu_gone']) await raw.insertInto('grade_results').values({ run_id: 'grd_old', student_id: student, status: 'queued' }).execute();

      await migrateToLatest(db);
      const rows = await raw.selectFrom('grade_results').select(['student_id', 'repl_id', 'status', 'attempts']).orderBy('student_id').execute();
      // Spread: node:sqlite answers objects without a prototype.
      assert.deepEqual(rows.map((r) => ({ ...r })), [
        { student_id: 'stu_gone', repl_id: null, status: 'queued', attempts: 0 },
        { student_id: 'stu_here', repl_id: 'r-here', status: 'queued', attempts: 0 },
      ]);
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
