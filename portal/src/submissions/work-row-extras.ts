import type { GradeCell } from '@codeyard/common/api/classes';
import type { GradeRepository } from '../db/grade-repository.js';
import type { SubmissionRepository } from '../db/submission-repository.js';

/** What the work part adds to each student's dashboard row (the classes part's ClassRowExtras). */
export interface WorkRowExtra {
  submittedAt?: string;
  submissions: number;
  grade?: GradeCell;
}

/**
 * The work part's columns of a class's rows: submission count and newest time, and the newest
 * grade result, for the whole roster in two queries (called with every row of a class at once).
 */
export function workRowExtras(submissions: SubmissionRepository, grades: GradeRepository) {
  return {
    async rows(classId: string, students: ReadonlyArray<{ id: string; replId: string }>): Promise<Map<string, WorkRowExtra>> {
      const [stats, cells] = await Promise.all([submissions.stats(students.map((s) => s.replId)), grades.latestCells(classId)]);
      const out = new Map<string, WorkRowExtra>();
      for (const student of students) {
        const stat = stats.get(student.replId);
        const cell = cells.get(student.id);
        out.set(student.id, { ...(stat ? { submittedAt: stat.latestAt } : {}), submissions: stat?.count ?? 0, ...(cell ? { grade: cell } : {}) });
      }
      return out;
    },
  };
}
