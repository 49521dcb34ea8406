import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * 009: classes (issue #15): a teacher's class and its roster, one row per student with the repl
 * made for them. Times are ISO strings and structured values JSON text, as every record's. A
 * join link's secret is kept only as its SHA-256 (`link_hash`, null once revoked); `account_id`
 * is null until someone joins. The unique pairs keep one row per address and per account.
 */
export const classesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('classes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('teacher', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('starter', 'text', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.unique())
      .addColumn('due_at', 'text')
      .addColumn('limits', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('classes_teacher').on('classes').columns(['teacher', 'created_at']).execute();
    await db.schema
      .createTable('class_students')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('class_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      // The address lowercased: the unique key, as accounts' email_key.
      .addColumn('email_key', 'text')
      .addColumn('student_ref', 'text')
      .addColumn('account_id', 'text')
      .addColumn('repl_id', 'text', (c) => c.notNull().unique())
      .addColumn('link_hash', 'text', (c) => c.unique())
      .addColumn('joined_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('class_students_email', ['class_id', 'email_key'])
      .addUniqueConstraint('class_students_account', ['class_id', 'account_id'])
      .execute();
    await db.schema.createIndex('class_students_class').on('class_students').columns(['class_id', 'created_at']).execute();
    await db.schema.createIndex('class_students_account_id').on('class_students').column('account_id').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('class_students').execute();
    await db.schema.dropTable('classes').execute();
  },
};
