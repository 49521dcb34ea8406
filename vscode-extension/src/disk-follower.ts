import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { foldersToWatch, reopenOptions, sameText } from './disk-text.js';

/**
 * Keeps clean editors equal to their files when VS Code's own file watcher has not reported a
 * change.
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
 * sandbox or inotify limits). Desktop VS Code has the same gap, covered by re-reading visible
 * editors when its window gains focus (TextFileEditorTracker); a browser window that stays in
 * front, or a headless one, gets no such focus event. Nothing in the settings starts the watcher
 * sooner, and nothing in the extension API reads a document again.
 *
 * So this extension watches the folders of the open files itself (fs.watch, from its activation
 * on), and checks every open document once when it starts and when a document opens. After a
 * change it waits a moment; when VS Code reported that change itself (its events reach the
 * extension host from the same watcher that reloads editors), VS Code reloads the editor and
 * this does nothing. Otherwise it compares a clean document with its file, and when they differ
 * the editors showing it are reopened with `forceReload`, which reads the file again into the
 * same model (cursors, scroll and focus given back: see reopenOptions). A document not shown is
 * left alone: VS Code reads the file again when its editor is shown. A modified one is never
 * touched: VS Code's save tells of the conflict.
 */

/** Time for VS Code's own report (~0.15 s here, more on a busy machine) before this one checks. */
const SETTLE_MS = 600;
/** A report by VS Code this close before this extension's own event is about the same change. */
const SAME_CHANGE_MS = 1000;
/** Files larger than this are left to VS Code (comparing means reading them whole). */
const MAX_CHECK_BYTES = 4 * 1024 * 1024;

export class DiskFollower implements vscode.Disposable {
  readonly #watchers = new Map<string, fs.FSWatcher>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** When VS Code last reported a change to each open file. */
  readonly #reported = new Map<string, number>();
  /**
   * The version of each file (mtime and size) this last read again: never twice, so a file whose
   * text never compares equal (an encoding the decoder reads otherwise) cannot loop.
   */
  readonly #reloaded = new Map<string, string>();
  readonly #disposables: vscode.Disposable[] = [];
  #disposed = false;

  /** `onReload`: a document was read again from its file (for the log, and for tests). */
  constructor(private readonly onReload: (file: string) => void = () => undefined) {
    // VS Code's own reports: no watch of its own (a glob in the workspace only filters the
    // window's workspace watcher), so they come exactly when VS Code reloads editors too.
    const vscodeSaw = vscode.workspace.createFileSystemWatcher('**/*');
    const note = (uri: vscode.Uri): void => {
      if (uri.scheme === 'file' && this.#isOpen(uri.fsPath)) this.#reported.set(uri.fsPath, Date.now());
    };
    this.#disposables.push(
      vscodeSaw,
      vscodeSaw.onDidChange(note),
      vscodeSaw.onDidCreate(note),
      vscode.workspace.onDidOpenTextDocument((doc) => {
        this.#refreshWatches();
        if (doc.uri.scheme === 'file') this.#schedule(doc.uri.fsPath);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.#reported.delete(doc.uri.fsPath);
        this.#reloaded.delete(doc.uri.fsPath);
        this.#refreshWatches();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.#refreshWatches()),
    );
    this.#refreshWatches();
    // Whatever changed before this extension was there to see it.
    for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === 'file') this.#schedule(doc.uri.fsPath);
  }

  #isOpen(file: string): boolean {
    return vscode.workspace.textDocuments.some((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
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
    const seen = Date.now();
    clearTimeout(this.#timers.get(file));
    this.#timers.set(
      file,
      setTimeout(() => {
        this.#timers.delete(file);
        void this.#check(file, seen).catch(() => undefined);
      }, SETTLE_MS),
    );
  }

  async #check(file: string, seen: number): Promise<void> {
    // VS Code saw it too, and reloads the editor itself.
    if ((this.#reported.get(file) ?? 0) >= seen - SAME_CHANGE_MS) return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
    // A modified document is never replaced: VS Code's save tells about a conflict.
    if (!doc || doc.isDirty || doc.isClosed) return;
    const version = doc.version;
    const stat = await fs.promises.stat(file).catch(() => undefined);
    if (!stat?.isFile() || stat.size > MAX_CHECK_BYTES) return;
    const fileVersion = `${stat.mtimeMs}:${stat.size}`;
    if (this.#reloaded.get(file) === fileVersion) return;
    const onDisk = await vscode.workspace.decode(await fs.promises.readFile(file), { encoding: doc.encoding });
    if (this.#disposed || doc.isDirty || doc.isClosed || doc.version !== version || sameText(onDisk, doc.getText())) return;
    const shownIn = vscode.window.visibleTextEditors.filter((e) => e.document === doc);
    if (shownIn.length) this.#reloaded.set(file, fileVersion);
    for (const editor of shownIn) {
      const view = { selections: editor.selections, firstVisibleLine: editor.visibleRanges[0]?.start.line ?? 0 };
      // `_workbench.open` is what `vscode.open` runs, taking the workbench's editor options as they are.
      await vscode.commands.executeCommand('_workbench.open', doc.uri, [(editor.viewColumn ?? 1) - 1, reopenOptions(view, editor === vscode.window.activeTextEditor)]);
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
