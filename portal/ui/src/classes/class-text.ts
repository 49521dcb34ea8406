import type { ClassLimits, GradeCell, StudentRow } from '../api/types.js';

/**
 * Words and files of the class pages, pure (no DOM): what a row says, the links as CSV, times.
 */

/** A CSV cell: quoted when it must be, and a leading = + - @ made inert (a spreadsheet would run it as a formula). */
export function csvCell(value: string | undefined): string {
  let text = value ?? '';
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The join links of a class as CSV (name, email, student id, link), for a mail merge or the school's system. */
export function linksCsv(rows: readonly Pick<StudentRow, 'name' | 'email' | 'studentRef' | 'link'>[]): string {
  const lines = [['name', 'email', 'student id', 'link'].join(',')];
  for (const r of rows) lines.push([r.name, r.email, r.studentRef, r.link].map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** A moment as people read it: "just now", "5 min ago", "3 h ago", else the date and time. */
export function describeAgo(iso: string | undefined | null, now = Date.now()): string {
  if (!iso) return '–';
  const ms = now - new Date(iso).getTime();
  if (ms < 60_000) return 'just now';
  if (ms < 3600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 24 * 3600_000) return `${Math.floor(ms / 3600_000)} h ago`;
  return describeTime(iso);
}

export function describeTime(iso: string | undefined | null): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '–';
}

/** An autograde cell in words: queued, running, pass, fail (exit code), error. */
export function gradeLabel(cell: Pick<GradeCell, 'status' | 'exitCode'> | undefined): string {
  if (!cell) return '–';
  switch (cell.status) {
    case 'queued':
      return 'Queued';
    case 'running':
      return 'Running…';
    case 'pass':
      return 'Pass';
    case 'fail':
      return cell.exitCode === undefined || cell.exitCode === null ? 'Fail' : `Fail (exit ${cell.exitCode})`;
    case 'error':
      return 'Error';
  }
}

/** Who a roster row is, for labels: the name, with the school's id when there is one. */
export function studentLabel(row: Pick<StudentRow, 'name' | 'studentRef'>): string {
  return row.studentRef ? `${row.name} (${row.studentRef})` : row.name;
}

/** Whether a submission came after the class's due time. */
export function isLate(submittedAt: string | undefined, dueAt: string | null | undefined): boolean {
  return Boolean(submittedAt && dueAt && new Date(submittedAt).getTime() > new Date(dueAt).getTime());
}

/** Writes text to the clipboard; false when the browser refuses (the caller selects it for copying by hand). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Saves text as a file the browser downloads (a Blob: nothing is fetched). */
export function downloadText(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The header names a roster CSV may use (as the API reads them, case-insensitive). */
const HEADER_NAMES = new Set(['name', 'email', 'student id', 'student_id', 'id']);

/**
 * A pasted roster as the CSV the API takes: kept as it is when its first line is a header row,
 * else read as one student a line (`name[, email[, student id]]`) under a header added here, so
 * a teacher may paste a plain list of names.
 */
export function rosterCsv(text: string): string {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  const first = trimmed.split(/\r?\n/, 1)[0] ?? '';
  const cells = first.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  if (cells.some((c) => HEADER_NAMES.has(c))) return `${trimmed}\n`;
  return `name,email,student id\n${trimmed}\n`;
}

/** A class's per-student limits in words ("512 MB per student", "always on"); none when it has the server's defaults. */
export function describeLimits(limits: ClassLimits | undefined): string[] {
  const words: string[] = [];
  if (limits?.memoryMb) words.push(`${limits.memoryMb} MB per student`);
  if (limits?.alwaysOn) words.push('always on');
  return words;
}
