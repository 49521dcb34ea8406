import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * 013 (issue #15): the autograde queue lives in the database, so any portal sharing it works a
 * run and a portal restart loses nothing. Each result row carries what a portal needs to grade
 * it (`repl_id`, filled here for rows from before from the class roster), and while it runs, who
 * claimed it (`claimed_by`, one portal's instance id) and until when the claim holds
 * (`lease_until`, ISO time, renewed while the command runs); `attempts` counts claims, so a
 * result whose portals keep dying is given up on instead of being claimed forever.
 */
export const gradeQueueMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('grade_results').addColumn('repl_id', 'text').execute();
    await db.schema.alterTable('grade_results').addColumn('claimed_by', 'text').execute();
    await db.schema.alterTable('grade_results').addColumn('lease_until', 'text').execute();
    await db.schema.alterTable('grade_results').addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    // A correlated subquery both dialects take (no UPDATE … FROM on older SQLite).
    await sql`update grade_results set repl_id = (select class_students.repl_id from class_students where class_students.id = grade_results.student_id)`.execute(db);
    // The claim and the sweep look for queued and running rows among every result ever kept.
    await db.schema.createIndex('grade_results_status').on('grade_results').columns(['status', 'lease_until']).execute();
    // Every portal's pass looks for unfinished runs (finished_at null) among all runs kept.
    await db.schema.createIndex('grade_runs_unfinished').on('grade_runs').column('finished_at').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('grade_runs_unfinished').execute();
    await db.schema.dropIndex('grade_results_status').execute();
    for (const column of ['attempts', 'lease_until', 'claimed_by', 'repl_id']) await db.schema.alterTable('grade_results').dropColumn(column).execute();
  },
};
