import path from 'node:path';

/**
 * The pure half of following the disk (see disk-follower.ts): which folders to watch for the
 * open documents, and whether a document still shows what its file holds. No VS Code API, so
 * they are tested with node:test alone.
 */

/** At most this many folders are watched for open documents (a window rarely has ten). */
export const MAX_WATCHED_FOLDERS = 64;

/**
 * Whether `shown` (a document's text) is what `onDisk` (its file, decoded) holds. Line ends do
 * not count: VS Code gives a document one line end, and a file that mixes them is shown with
 * the one it has most of, so the two differ there without the document being stale.
 */
export function sameText(onDisk: string, shown: string): boolean {
  if (onDisk === shown) return true;
  return onDisk.replace(/\r\n?/g, '\n') === shown.replace(/\r\n?/g, '\n');
}

/**
 * The folders to watch so that every open file under a workspace root is seen when it changes:
 * each file's own folder (a watch on the file itself would be lost when a tool replaces it by
 * renaming a new file over it, as `sed -i` and most editors do). Files outside the roots are
 * left to VS Code; at most `max` folders, the first files' first.
 */
export function foldersToWatch(files: Iterable<string>, roots: readonly string[], max = MAX_WATCHED_FOLDERS): Set<string> {
  const folders = new Set<string>();
  for (const file of files) {
    if (folders.size >= max) break;
    if (!roots.some((root) => isInside(file, root))) continue;
    folders.add(path.dirname(file));
  }
  return folders;
}

function isInside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
