import * as vscode from 'vscode';
import type { ServedRepl } from '@codeyard/common/agent/config';
import type { AppState, LogFrame } from '@codeyard/common/agent/protocol';
import { AgentClient } from '@codeyard/common/agent/client';
import { DiskFollower } from './disk-follower.js';
import { LogStream, waitForPort } from './log-stream.js';
import { installIdeFrame } from './ide-frame.js';
import { SubmitEntry } from './submit.js';
import { TerminalSecrets } from './terminal-secrets.js';
import { PreviewPanel } from './preview-panel.js';
import { appView, BacklogFilter, frameText, replInfoFromEnv, replLabel, runStarted, syncView, terminalVariables, unsavedEditorsView, type ReplEnv } from './present.js';

/**
 * The Codeyard extension, preinstalled in every repl's code-server: Run, Restart and Stop app
 * following the agent, the app's output in a terminal, the preview, the save state, and open
 * editors kept equal to their files (disk-follower.ts). Everything it knows
 * comes from the repl agent (its control socket) and the environment the agent gives code-server.
 */

const SYNC_POLL_MS = 3000;
/** Auto save writes a modified editor after 1 s: one still modified this long after its last change was not saved. */
const UNSAVED_AFTER_MS = 4000;
/** How long after a Run the app's port is watched for the "listening" notification. */
const PORT_WAIT_MS = 120_000;
/** Output kept for a terminal opened (or reopened) later. */
const KEEP_OUTPUT_CHARS = 256 * 1024;

let controller: Controller | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const info = replInfoFromEnv(process.env);
  if (!info) return; // Not in a Codeyard repl: nothing to show.
  // code-server's environment is fixed when it starts: one started ahead in the warm pool has no
  // repl id, name or preview in it. New terminals get them from the agent instead.
  const terminals = context.environmentVariableCollection;
  // Learnt again at every start, so nothing outlives the repl's own values.
  terminals.persistent = false;
  terminals.description = "The Codeyard repl this workspace belongs to (CODEYARD_REPL_ID and its name and preview) and the repl's secrets";
  controller = new Controller(info, (repl) => {
    for (const [name, value] of Object.entries(terminalVariables(repl, process.env))) terminals.replace(name, value);
  });
  context.subscriptions.push(controller);
  // The repl's secrets, set in the portal, reach new terminals within a poll.
  const agent = new AgentClient(info.socket);
  const secrets = new TerminalSecrets(terminals, () => agent.env());
  void secrets.poll();
  const secretsTimer = setInterval(() => void secrets.poll(), SYNC_POLL_MS);
  context.subscriptions.push({ dispose: () => clearInterval(secretsTimer) });
  // Open editors follow changes made outside them even where VS Code's own watcher was late.
  context.subscriptions.push(new DiskFollower((file) => console.log(`codeyard: ${file} changed on disk; its editor was read again`)));
}

export function deactivate(): void {
  controller?.dispose();
  controller = undefined;
}

/** The app's output as a terminal; keeps the recent output for when it is (re)opened. */
class AppTerminal implements vscode.Disposable {
  #terminal?: vscode.Terminal;
  #emitter?: vscode.EventEmitter<string>;
  #open = false;
  #recent = '';
  readonly #closeListener: vscode.Disposable;

  constructor(private readonly onInterrupt: () => void) {
    this.#closeListener = vscode.window.onDidCloseTerminal((t) => {
      if (t === this.#terminal) this.#forget();
    });
  }

  write(text: string): void {
    if (!text) return;
    this.#recent = (this.#recent + text).slice(-KEEP_OUTPUT_CHARS);
    if (this.#open) this.#emitter?.fire(text);
  }

  /** Makes the terminal exist; shows it when `reveal`. */
  ensure(reveal: boolean): void {
    if (!this.#terminal) {
      const emitter = new vscode.EventEmitter<string>();
      const pty: vscode.Pseudoterminal = {
        onDidWrite: emitter.event,
        open: () => {
          this.#open = true;
          if (this.#recent) emitter.fire(this.#recent);
        },
        close: () => this.#forget(),
        handleInput: (data) => {
          // Ctrl+C in the output stops the app, as it would in a shell.
          if (data === '\x03') this.onInterrupt();
        },
      };
      this.#emitter = emitter;
      this.#terminal = vscode.window.createTerminal({ name: 'Codeyard', pty, iconPath: new vscode.ThemeIcon('play-circle') });
    }
    if (reveal) this.#terminal.show(true);
  }

  #forget(): void {
    this.#terminal = undefined;
    this.#emitter?.dispose();
    this.#emitter = undefined;
    this.#open = false;
  }

  dispose(): void {
    this.#closeListener.dispose();
    this.#terminal?.dispose();
    this.#forget();
  }
}

class Controller implements vscode.Disposable {
  readonly #agent: AgentClient;
  readonly #logs: LogStream;
  readonly #filter = new BacklogFilter();
  readonly #terminal: AppTerminal;
  readonly #runItem: vscode.StatusBarItem;
  readonly #restartItem: vscode.StatusBarItem;
  readonly #replItem: vscode.StatusBarItem;
  readonly #syncItem: vscode.StatusBarItem;
  /** Someone else viewing this repl (a teacher): the agent's notice, set by the portal. */
  readonly #noticeItem: vscode.StatusBarItem;
  /** What the extension saw and did (Output › Codeyard): why a preview did or did not reload, which links it offered. */
  readonly #log = vscode.window.createOutputChannel('Codeyard', { log: true });
  readonly #preview = new PreviewPanel(
    (url) => void vscode.env.openExternal(vscode.Uri.parse(url)),
    (line) => this.#log.info(line),
  );
  readonly #disposables: vscode.Disposable[] = [];
  /** Submit, for a student's repl of a class (submit.ts). */
  readonly #submit: SubmitEntry;
  #state?: AppState;
  #connected = false;
  #syncTimer?: NodeJS.Timeout;
  /** Modified editors and when they last changed, to tell a failed save from one about to happen. */
  readonly #changedAt = new Map<string, number>();
  /** The run whose port is being watched (its startedAt); a new run or a stop ends the watch. */
  #watching?: string;
  #disposed = false;

  /** `onRepl`: the agent said which repl it serves (when code-server's environment did not say it all). */
  constructor(
    readonly info: ReplEnv,
    private readonly onRepl: (repl: ServedRepl) => void,
  ) {
    this.#agent = new AgentClient(info.socket);
    this.#terminal = new AppTerminal(() => void this.stop());
    this.#runItem = vscode.window.createStatusBarItem('codeyard.run', vscode.StatusBarAlignment.Left, 1000);
    this.#runItem.name = 'Codeyard Run';
    this.#restartItem = vscode.window.createStatusBarItem('codeyard.restart', vscode.StatusBarAlignment.Left, 999.5);
    this.#restartItem.name = 'Codeyard Restart';
    this.#restartItem.command = 'codeyard.restart';
    this.#restartItem.accessibilityInformation = { label: 'Restart the app' };
    this.#replItem = vscode.window.createStatusBarItem('codeyard.repl', vscode.StatusBarAlignment.Left, 999);
    this.#replItem.name = 'Codeyard repl';
    this.#syncItem = vscode.window.createStatusBarItem('codeyard.sync', vscode.StatusBarAlignment.Left, 998);
    this.#syncItem.name = 'Codeyard save state';
    this.#noticeItem = vscode.window.createStatusBarItem('codeyard.notice', vscode.StatusBarAlignment.Left, 997.5);
    this.#noticeItem.name = 'Codeyard notice';
    this.#showRepl();
    this.#submit = new SubmitEntry(info, this.#log);
    this.#disposables.push(
      this.#submit,
      this.#terminal,
      this.#runItem,
      this.#restartItem,
      this.#replItem,
      this.#syncItem,
      this.#noticeItem,
      this.#preview,
      this.#log,
      installIdeFrame(info, (url) => this.#preview.show(url), this.#log),
      vscode.commands.registerCommand('codeyard.run', () => this.run()),
      vscode.commands.registerCommand('codeyard.restart', () => this.run({ restart: true })),
      vscode.commands.registerCommand('codeyard.stop', () => this.stop()),
      vscode.commands.registerCommand('codeyard.openPreview', () => this.openPreview()),
      vscode.commands.registerCommand('codeyard.openExternal', () => this.openExternal()),
      vscode.commands.registerCommand('codeyard.showOutput', () => this.#terminal.ensure(true)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.isDirty) this.#changedAt.set(e.document.uri.toString(), Date.now());
        else this.#changedAt.delete(e.document.uri.toString());
      }),
      vscode.workspace.onDidSaveTextDocument((d) => this.#changedAt.delete(d.uri.toString())),
      vscode.workspace.onDidCloseTextDocument((d) => this.#changedAt.delete(d.uri.toString())),
    );
    void vscode.commands.executeCommand('setContext', 'codeyard.active', true);
    this.#render();
    this.#logs = new LogStream(info.socket, {
      connection: (connected) => {
        this.#connected = connected;
        if (connected) this.#filter.reconnected();
        this.#render();
      },
      frame: (frame) => this.#onFrame(frame),
    });
    this.#logs.start();
    void this.#pollSync();
    // Started ahead in the warm pool, code-server did not know its repl: the agent does now.
    if (!info.replId || !info.name || !info.previewUrl || !info.portalUrl) void this.#fetchInfo();
  }

  #showRepl(): void {
    const label = replLabel(this.info);
    this.#replItem.text = label.text;
    this.#replItem.tooltip = label.tooltip;
    this.#replItem.command = 'codeyard.openDashboard';
    this.#replItem.show();
  }

  async #fetchInfo(): Promise<void> {
    for (let attempt = 0; attempt < 300 && !this.#disposed; attempt++) {
      try {
        const repl = await this.#agent.info();
        Object.assign(this.info, { replId: repl.replId, name: repl.name, stack: repl.stack, port: repl.port, previewUrl: repl.previewUrl, portalUrl: repl.portalUrl, classroom: repl.classroom });
        this.#showRepl();
        this.#submit.refresh();
        this.onRepl(repl);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }

  #onFrame(frame: LogFrame): void {
    if (frame.type === 'state') {
      const before = this.#state;
      this.#state = frame.app;
      this.#log.info(`app state: running ${frame.app.running}, started ${frame.app.startedAt ?? '-'}`);
      if (runStarted(before, frame.app)) {
        // Started here, in the portal or through the API: the output has a place to go.
        this.#terminal.ensure(false);
        // The first state after connecting is not a new run when the app was already up.
        if (before !== undefined) this.#watchPort(frame.app);
      }
      if (!frame.app.running) this.#watching = undefined;
      this.#render();
      return;
    }
    if (this.#filter.accept(frame)) this.#terminal.write(frameText(frame));
  }

  #render(): void {
    const view = appView(this.#state, this.#connected);
    this.#runItem.text = view.text;
    this.#runItem.tooltip = view.tooltip;
    this.#runItem.command = view.command;
    this.#runItem.show();
    if (view.restart) {
      this.#restartItem.text = view.restart.text;
      this.#restartItem.tooltip = view.restart.tooltip;
      this.#restartItem.show();
    } else this.#restartItem.hide();
    void vscode.commands.executeCommand('setContext', 'codeyard.appRunning', view.running);
  }

  /**
   * Run; with `restart`, or pressed while the app runs (the palette, a keybinding, a Run button
   * another window still showed), the app is stopped and started again with the code as it is
   * now, as Replit's Run does.
   */
  async run(options: { restart?: boolean } = {}): Promise<void> {
    this.#terminal.ensure(true);
    try {
      const state = options.restart || this.#state?.running ? await this.#agent.restartApp() : await this.#agent.startApp();
      // The state frame may come later than this answer: follow whichever is first.
      if (runStarted(this.#state, state)) {
        this.#state = state;
        this.#watchPort(state);
        this.#render();
      }
    } catch (err) {
      void vscode.window.showErrorMessage(`Codeyard: could not ${options.restart ? 'restart' : 'run'} the app: ${(err as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    try {
      await this.#agent.stopApp();
    } catch (err) {
      void vscode.window.showErrorMessage(`Codeyard: could not stop the app: ${(err as Error).message}`);
    }
  }

  /** Once the app listens on its port, offers the preview. */
  #watchPort(state: AppState): void {
    const run = state.startedAt ?? String(Date.now());
    if (!this.info.port || this.#watching === run) return;
    this.#watching = run;
    this.#log.info(`run ${run}: waiting for port ${this.info.port}`);
    void waitForPort(this.info.port, { timeoutMs: PORT_WAIT_MS, cancelled: () => this.#disposed || this.#watching !== run }).then(async (up) => {
      this.#log.info(`run ${run}: port ${this.info.port} ${up ? 'listens' : 'did not listen'}${this.#watching === run ? '' : ' (watch ended)'}; preview ${this.#preview.open ? 'open' : 'closed'}`);
      if (!up || this.#watching !== run) return;
      this.#watching = undefined;
      // An open preview follows the app: it shows the new run as soon as it answers.
      if (this.#preview.open) return this.#preview.reload();
      const where = this.info.previewUrl || `port ${this.info.port}`;
      const choice = await vscode.window.showInformationMessage(`Your app is listening on port ${this.info.port}: ${where}`, 'Open Preview', 'Open in New Tab');
      if (choice === 'Open Preview') await this.openPreview();
      else if (choice === 'Open in New Tab') await this.openExternal();
    });
  }

  async openPreview(): Promise<void> {
    if (!this.info.previewUrl) return void vscode.window.showWarningMessage('Codeyard: this repl has no preview URL');
    this.#preview.show(this.info.previewUrl);
  }

  async openExternal(): Promise<void> {
    if (!this.info.previewUrl) return void vscode.window.showWarningMessage('Codeyard: this repl has no preview URL');
    await vscode.env.openExternal(vscode.Uri.parse(this.info.previewUrl));
  }

  async #pollSync(): Promise<void> {
    if (this.#disposed) return;
    try {
      const status = await this.#agent.sync();
      const view = unsavedEditorsView(this.#unsavedEditors()) ?? syncView(status);
      if (view) {
        this.#syncItem.text = view.text;
        this.#syncItem.tooltip = view.tooltip;
        this.#syncItem.show();
      } else this.#syncItem.hide();
    } catch (err) {
      // 404: this repl does not sync; otherwise the agent is restarting.
      if ((err as { status?: number }).status === 404) this.#syncItem.hide();
      else {
        this.#syncItem.text = '$(cloud-offline) Save state unknown';
        this.#syncItem.tooltip = `The repl agent does not answer: ${(err as Error).message}`;
        this.#syncItem.show();
      }
    }
    await this.#pollNotice();
    if (!this.#disposed) this.#syncTimer = setTimeout(() => void this.#pollSync(), SYNC_POLL_MS);
  }

  /** The agent's notice (a teacher viewing this repl), shown while it lasts; an agent without one (older) shows none. */
  async #pollNotice(): Promise<void> {
    const notice = await this.#agent.notice().catch(() => ({}) as { text?: string });
    if (notice.text) {
      this.#noticeItem.text = `$(eye) ${notice.text}`;
      this.#noticeItem.tooltip = `${notice.text} (opened through their class; it is in the audit log)`;
      this.#noticeItem.show();
    } else this.#noticeItem.hide();
  }

  /** Editors auto save should have written by now and did not (a conflict, a read-only file). */
  #unsavedEditors(): string[] {
    if (vscode.workspace.getConfiguration('files').get<string>('autoSave', 'off') === 'off') return [];
    const now = Date.now();
    const names: string[] = [];
    for (const doc of vscode.workspace.textDocuments) {
      const at = this.#changedAt.get(doc.uri.toString());
      if (doc.isDirty && !doc.isUntitled && at !== undefined && now - at > UNSAVED_AFTER_MS) names.push(vscode.workspace.asRelativePath(doc.uri));
    }
    return names;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#syncTimer);
    this.#logs.close();
    for (const d of this.#disposables) d.dispose();
  }
}
