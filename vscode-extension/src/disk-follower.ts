import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { foldersToWatch, sameText } from './disk-text.js';

/**
 * Keeps clean editors equal to their files when VS Code's own file watcher has not seen a change.
 *
 * Why VS Code misses some: each browser window gets a file watcher of its own on the server
 * (code-server keeps one per window session), and the window asks for it late. Its
 * `workbench.contrib.workspaceWatcher` is an AfterRestored contribution, created in idle time
 * after the editors are restored. Traced with code-server's trace log: a second window reached
 * Restored at 24.95 s, a command changed its open file right after its editor showed (25.25 s),
 * and its watcher on the workspace started at 28.27 s (this extension activated there at
 * 27.55 s). A change in those seconds is never reported to the window, and its clean editor
 * keeps the old text until the file changes again; an edit then ends in "the content of the file
 * is newer". Every later change arrived, with no watcher error (not the settings' excludes, the
 * sandbox or inotify limits). Desktop VS
 * Code has the same gap, covered by re-reading visible editors when its window gains focus
 * (TextFileEditorTracker); a browser window that stays in front, or a headless one, gets no
 * such focus event. Nothing in the settings starts the watcher sooner.
 *
 * So this extension watches the folders of the open files itself (fs.watch, from its
 * activation on), checks every open document once when it starts and when a document opens,
 * and after a change compares a clean document with its file: when they differ (VS Code's own
 * reload, which usually comes first, did not happen), the editors showing it are reopened with
 * `forceReload`, which makes VS Code read the file again into the same model (cursors kept;
 * the view keeps the selection in sight). A document not shown is left alone: VS Code reads
 * the file again when its editor is shown.
 */

/** Time for VS Code's own reload (its watcher reports within ~0.1-0.3 s) before this one checks. */
const SETTLE_MS = 400;
/** Files larger than this are left to VS Code (comparing means reading them whole). */
const MAX_CHECK_BYTES = 4 * 1024 * 1024;
/** `EditorActivation.PRESERVE`: the editor's group is not made the active one. */
const ACTIVATION_PRESERVE = 3;
/** `TextEditorSelectionRevealType.CenterIfOutsideViewport`: the view moves only if it must. */
const REVEAL_IF_OUTSIDE = 1;

export class DiskFollower implements vscode.Disposable {
  readonly #watchers = new Map<string, fs.FSWatcher>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #disposables: vscode.Disposable[] = [];
  #disposed = false;

  /** `onReload`: a document was read again from its file (for the log, and for tests). */
  constructor(private readonly onReload: (file: string) => void = () => undefined) {
    this.#disposables.push(
      vscode.workspace.onDidOpenTextDocument((doc) => {
        this.#refreshWatches();
        if (doc.uri.scheme === 'file') this.#schedule(doc.uri.fsPath);
      }),
      vscode.workspace.onDidCloseTextDocument(() => this.#refreshWatches()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.#refreshWatches()),
    );
    this.#refreshWatches();
    // Whatever changed before this extension was there to see it.
    for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === 'file') this.#schedule(doc.uri.fsPath);
  }

  /** Watches the folders of the open files, and only those. */
  #refreshWatches(): void {
    if (this.#disposed) return;
    const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const files = vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'file').map((d) => d.uri.fsPath);
    const wanted = foldersToWatch(files, roots);
    for (const [folder, watcher] of this.#watchers) {
      if (wanted.has(folder)) continue;
      watcher.close();
      this.#watchers.delete(folder);
    }
    for (const folder of wanted) {
      if (this.#watchers.has(folder)) continue;
      try {
        const watcher = fs.watch(folder, { persistent: false }, (_event, name) => {
          if (name) this.#schedule(path.join(folder, name.toString()));
        });
        // A folder removed or unreadable: its files are VS Code's alone until it is watched again.
        watcher.on('error', () => {
          watcher.close();
          if (this.#watchers.get(folder) === watcher) this.#watchers.delete(folder);
        });
        this.#watchers.set(folder, watcher);
      } catch {
        // Gone already, or out of inotify watches: VS Code's own watcher still covers it.
      }
    }
  }

  /** Checks `file` once things settle (a burst of events is one check). */
  #schedule(file: string): void {
    if (this.#disposed) return;
    clearTimeout(this.#timers.get(file));
    this.#timers.set(
      file,
      setTimeout(() => {
        this.#timers.delete(file);
        void this.#check(file).catch(() => undefined);
      }, SETTLE_MS),
    );
  }

  async #check(file: string): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
    // A modified document is never replaced: VS Code's save tells about a conflict.
    if (!doc || doc.isDirty || doc.isClosed) return;
    const version = doc.version;
    const stat = await fs.promises.stat(file).catch(() => undefined);
    if (!stat?.isFile() || stat.size > MAX_CHECK_BYTES) return;
    const onDisk = await vscode.workspace.decode(await fs.promises.readFile(file), { encoding: doc.encoding });
    if (this.#disposed || doc.isDirty || doc.isClosed || doc.version !== version || sameText(onDisk, doc.getText())) return;
    const shownIn = vscode.window.visibleTextEditors.filter((e) => e.document === doc);
    for (const editor of shownIn) {
      // `_workbench.open` is what `vscode.open` runs, taking the editor options as they are.
      await vscode.commands.executeCommand('_workbench.open', doc.uri, [
        (editor.viewColumn ?? 1) - 1,
        { forceReload: true, preserveFocus: true, activation: ACTIVATION_PRESERVE, selection: editorRange(editor.selection), selectionRevealType: REVEAL_IF_OUTSIDE },
      ]);
    }
    if (shownIn.length) this.onReload(file);
  }

  dispose(): void {
    this.#disposed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    for (const d of this.#disposables) d.dispose();
  }
}

/** A selection as the workbench's editor options take it (1-based lines and columns). */
function editorRange(s: vscode.Selection): { startLineNumber: number; startColumn: number; endLineNumber: number; endColumn: number } {
  return { startLineNumber: s.start.line + 1, startColumn: s.start.character + 1, endLineNumber: s.end.line + 1, endColumn: s.end.character + 1 };
}
