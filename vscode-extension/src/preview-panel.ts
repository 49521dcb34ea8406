import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { previewHtml } from './preview-page.js';

/**
 * The app's preview beside the editor: a webview panel holding the preview URL in a frame.
 * Not VS Code's Simple Browser, which adds `?id=…&vscodeBrowserReqId=…` to every URL it loads
 * (the app saw them); this frame loads the URL exactly as given. One panel for the repl: opening
 * again reveals it (and shows the new URL), and the controller reloads it when the app restarts.
 */
export class PreviewPanel implements vscode.Disposable {
  #panel?: vscode.WebviewPanel;
  #url = '';

  /** `openExternal`: the panel's "open in a new tab" button; `log`: what the panel's page loads. */
  constructor(
    private readonly openExternal: (url: string) => void,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  get open(): boolean {
    return this.#panel !== undefined;
  }

  /** Shows `url` beside the active editor, keeping the focus where it is. */
  show(url: string): void {
    if (this.#panel) {
      if (url !== this.#url) {
        this.#url = url;
        void this.#panel.webview.postMessage({ type: 'load', url });
      }
      return this.#panel.reveal(vscode.ViewColumn.Beside, true);
    }
    this.#url = url;
    const panel = vscode.window.createWebviewPanel('codeyard.preview', 'Preview', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, retainContextWhenHidden: true });
    panel.webview.html = previewHtml(url, randomBytes(16).toString('base64'));
    panel.webview.onDidReceiveMessage((m: { type?: string; url?: string }) => {
      if (m?.type === 'openExternal') this.openExternal(this.#url);
      if (m?.type === 'loading') this.log(`preview loading ${String(m.url)}`);
    });
    panel.onDidDispose(() => {
      if (this.#panel === panel) this.#panel = undefined;
    });
    this.#panel = panel;
  }

  /** Loads the page again (the app restarted); nothing when the panel is closed. */
  reload(): void {
    this.log(`preview reload asked: ${this.#panel ? this.#url : 'no panel'}`);
    void this.#panel?.webview.postMessage({ type: 'load', url: this.#url });
  }

  dispose(): void {
    this.#panel?.dispose();
    this.#panel = undefined;
  }
}
