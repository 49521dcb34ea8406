import * as vscode from 'vscode';
import { unforwarded } from './ide-frame.js';
import type { ReplEnv } from './present.js';
import { submitPageUrl, submitView } from './submit-link.js';

/**
 * "Codeyard: Submit" for a student's repl of a class: the command, a status bar entry and an
 * editor title button (context key `codeyard.classroom`), all hidden in any other repl. It opens
 * the portal's page that submits with the person's own portal session (see submit-link.ts).
 */
export class SubmitEntry implements vscode.Disposable {
  readonly #item = vscode.window.createStatusBarItem('codeyard.submit', vscode.StatusBarAlignment.Left, 996);
  readonly #command: vscode.Disposable;

  constructor(
    private readonly info: ReplEnv,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.#item.name = 'Codeyard Submit';
    this.#item.command = 'codeyard.submit';
    this.#command = vscode.commands.registerCommand('codeyard.submit', () => this.submit());
    this.refresh();
  }

  /** Shows or hides the entries as the repl's info says (again once a warm sandbox learns its repl). */
  refresh(): void {
    const view = submitView(this.info);
    void vscode.commands.executeCommand('setContext', 'codeyard.classroom', view !== undefined);
    if (!view) return this.#item.hide();
    this.#item.text = view.text;
    this.#item.tooltip = view.tooltip;
    this.#item.accessibilityInformation = { label: view.tooltip };
    this.#item.show();
  }

  async submit(): Promise<void> {
    const url = submitPageUrl(this.info);
    if (!url || !this.info.classroom) return void vscode.window.showWarningMessage('Codeyard: this repl is not part of a class, so there is nothing to submit it to');
    // Whatever an editor still holds goes into the workspace first: the submission is the saved files.
    await vscode.workspace.saveAll(false);
    this.log.info(`submit: opening ${url}`);
    await vscode.env.openExternal(unforwarded(vscode.Uri.parse(url)));
  }

  dispose(): void {
    this.#item.dispose();
    this.#command.dispose();
  }
}
