import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * 010 (issue #15, the work part): submissions and autograde runs. A submission row names an
 * immutable copy of a repl's workspace under `submissions/<replId>/<number>/` in the object
 * store; numbers count 1, 2, … per repl, and the unique pair is what keeps two portals from
 * giving one number twice. Grade runs keep one result row per student, updated as the queue
 * works through the class. Times are ISO strings (they sort as text alike on both dialects).
 */
export const submissionsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('submissions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('repl_id', 'text', (c) => c.notNull())
      // The roster row when the repl is a class's student repl; null for any other repl.
      .addColumn('student_id', 'text')
      // Who pressed Submit (the repl's owner then).
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('files', 'integer', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('submissions_repl_number', ['repl_id', 'number'])
      .execute();
    await db.schema.createIndex('submissions_student').on('submissions').columns(['student_id', 'number']).execute();
    await db.schema
      .createTable('grade_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('class_id', 'text', (c) => c.notNull())
      .addColumn('command', 'text', (c) => c.notNull())
      .addColumn('started_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .execute();
    await db.schema.createIndex('grade_runs_class').on('grade_runs').columns(['class_id', 'created_at']).execute();
    await db.schema
      .createTable('grade_results')
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('student_id', 'text', (c) => c.notNull())
      // queued | running | pass | fail | error
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('exit_code', 'integer')
      // The last 4 KB of stdout and stderr.
      .addColumn('output', 'text')
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addPrimaryKeyConstraint('grade_results_pk', ['run_id', 'student_id'])
      .execute();
    await db.schema.createIndex('grade_results_student').on('grade_results').column('student_id').execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['grade_results', 'grade_runs', 'submissions']) await db.schema.dropTable(table).execute();
  },
};
