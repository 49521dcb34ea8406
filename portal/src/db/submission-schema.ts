/** The tables of migration 010 (submissions, autograde), as Kysely sees them (see schema.ts). */

/** One submission: an immutable copy of a repl's workspace under `submissions/<replId>/<number>/`. */
export interface SubmissionsTable {
  id: string;
  repl_id: string;
  student_id: string | null;
  account_id: string;
  number: number;
  files: number;
  /** bigint: PostgreSQL answers it as a string. */
  bytes: number | bigint | string;
  created_at: string;
}

/** One autograde run of a class: a command run in every (chosen) student repl. */
export interface GradeRunsTable {
  id: string;
  class_id: string;
  command: string;
  started_by: string;
  created_at: string;
  finished_at: string | null;
}

/** One student's result in a run. */
export interface GradeResultsTable {
  run_id: string;
  student_id: string;
  status: string;
  exit_code: number | null;
  output: string | null;
  started_at: string | null;
  finished_at: string | null;
}
