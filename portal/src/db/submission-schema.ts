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
  /** Migration 013: the repl graded (null only for a row whose student was gone before 013). */
  repl_id: string | null;
  /** The portal working it now (its instance id), while running. */
  claimed_by: string | null;
  /** Until when that claim holds (ISO time) unless renewed; past it another portal takes the result back. */
  lease_until: string | null;
  /** How many times a portal has claimed it. */
  attempts: number;
}
