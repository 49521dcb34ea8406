import type { GradeRun } from '@codeyard/common/api/classes';
import { csvField } from '../audit/audit-export.js';

/** Who a result is about, as the CSV names them. */
export interface GradeCsvStudent {
  id: string;
  name: string;
  email?: string;
  studentRef?: string;
}

export const GRADE_CSV_COLUMNS = ['student_id', 'name', 'email', 'student_ref', 'status', 'exit_code', 'started_at', 'finished_at', 'output'] as const;

/**
 * A run's results as CSV, one row per student in roster order. Fields go through the audit
 * export's {@link csvField}: names and output are text students typed or printed, and a cell a
 * spreadsheet would run as a formula (`=HYPERLINK(…)`) is neutralised the same way.
 */
export function gradeCsv(run: GradeRun, students: readonly GradeCsvStudent[]): string {
  const byId = new Map(students.map((s) => [s.id, s]));
  const lines = [GRADE_CSV_COLUMNS.join(',')];
  for (const result of run.results) {
    const student = byId.get(result.studentId);
    const values = [result.studentId, student?.name, student?.email, student?.studentRef, result.status, result.exitCode, result.startedAt, result.finishedAt, result.output];
    lines.push(values.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
