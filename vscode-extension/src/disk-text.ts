import path from 'node:path';

/**
 * The pure half of following the disk (see disk-follower.ts): which folders to watch for the
 * open documents, whether a document still shows what its file holds, and how its editor is
 * reopened. No VS Code API, so they are tested with node:test alone.
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

/** A position as the extension API gives it (0-based). */
export interface Spot {
  line: number;
  character: number;
}

/** What an editor shows now: its selections (anchor and active end) and its first visible line. */
export interface EditorView {
  selections: ReadonlyArray<{ anchor: Spot; active: Spot }>;
  firstVisibleLine: number;
}

/**
 * The workbench's editor options that read a shown file again (`forceReload`) and keep what the
 * editor showed. `forceReload` detaches the editor's model for a moment, so its cursors and
 * scroll are given back as a view state (the workbench's own format, ICodeEditorViewState:
 * 1-based lines and columns) instead of the one it last stored, which may be another window's;
 * and the focus is given back only to the active editor (`focus`): the workbench then focuses
 * it again if it had the focus, and an editor in another group never had it.
 */
export function reopenOptions(view: EditorView, focus: boolean): Record<string, unknown> {
  const at = (p: Spot) => ({ lineNumber: p.line + 1, column: p.character + 1 });
  return {
    forceReload: true,
    preserveFocus: !focus,
    // EditorActivation.PRESERVE: the editor's group is not made the active one.
    activation: 3,
    viewState: {
      cursorState: view.selections.map((s) => ({ inSelectionMode: s.anchor.line !== s.active.line || s.anchor.character !== s.active.character, selectionStart: at(s.anchor), position: at(s.active) })),
      viewState: { scrollLeft: 0, firstPosition: { lineNumber: view.firstVisibleLine + 1, column: 1 }, firstPositionDeltaTop: 0 },
      contributionsState: {},
    },
  };
}
