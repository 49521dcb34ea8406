import type { CollectWhat } from '@codeyard/common/api/classes';
import type { WorkspaceItem } from '../store/workspace-store.js';

/** One student's part of a collect: the folder is named after them. */
export interface CollectStudent {
  id: string;
  name: string;
  studentRef?: string;
  replId: string;
}

/** Where collect reads each student's files from. */
export interface CollectSources {
  /** The stored workspace (the caller saves running repls first). */
  workspace(replId: string): Promise<AsyncIterable<WorkspaceItem>>;
  /** The newest submission's number, if any. */
  latestSubmission(replId: string): Promise<number | undefined>;
  submission(replId: string, number: number): AsyncIterable<WorkspaceItem>;
}

/** `<name or ref>-<studentId>`: readable, and unique whatever two students are called. */
export function studentFolder(student: Pick<CollectStudent, 'id' | 'name' | 'studentRef'>): string {
  const label = (student.name || student.studentRef || '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 48);
  return label ? `${label}-${student.id}` : student.id;
}

/**
 * The items of one class archive: a folder per student holding their workspace, or their newest
 * submission (a student who submitted nothing gets an empty folder, so the teacher sees who).
 * Read one student at a time, so the archive streams with one file in memory at most.
 */
export async function* collectItems(students: readonly CollectStudent[], what: CollectWhat, sources: CollectSources): AsyncIterable<WorkspaceItem> {
  for (const student of students) {
    const folder = studentFolder(student);
    yield { path: folder, type: 'dir' };
    let items: AsyncIterable<WorkspaceItem> | undefined;
    if (what === 'workspaces') items = await sources.workspace(student.replId);
    else {
      const latest = await sources.latestSubmission(student.replId);
      if (latest !== undefined) items = sources.submission(student.replId, latest);
    }
    if (!items) continue;
    for await (const item of items) yield { ...item, path: `${folder}/${item.path}` };
  }
}
