import type { Repl } from '@codeyard/common/api/models';
import { BaseWindow, clipboard, shell, WebContentsView } from 'electron';
import { PUSH_CHANNELS, type PageRole, type ToolbarAction, type ToolbarState } from '../shared/ipc-channels.js';
import { partitionFor } from './accounts.js';
import { APP_ORIGIN, serverHosts, type NavigationContext } from './navigation-policy.js';
import type { PortalClient } from './portal-client.js';
import { previewUrlOf, toolbarState, windowTitle, type ViewState } from './repl-state.js';
import type { Rect } from './server-store.js';
import { appPagePreferences, remotePagePreferences } from './web-preferences.js';
import { secureWebContents, type NavigationActions } from './web-security.js';
import { dragSplitter, layoutReplWindow, restoreBounds } from './window-layout.js';
import type { ReplWindowHandle } from './window-manager.js';

export interface ReplWindowDeps {
  server: string;
  replId: string;
  client: PortalClient;
  preload: string;
  workAreas(): Rect[];
  savedBounds: Rect | undefined;
  saveBounds(rect: Rect): void;
  /** Registers one of the window's views: its page role (app pages) or its navigation context (remote pages). */
  register(webContentsId: number, entry: { role: PageRole } | { context: () => NavigationContext }): void;
  unregister(webContentsId: number): void;
  actions: Omit<NavigationActions, 'showPreview'>;
  onState(state: ToolbarState): void;
  closed(): void;
}

/**
 * One repl's window: the toolbar page across the top, the remote VS Code (through a one-time
 * IDE link, in the server's partition) below it, and the app's preview in a WebContentsView
 * beside it behind a draggable splitter, or detached into a window of its own. The views are
 * placed by layoutReplWindow; the state comes from the server's event stream (update()).
 */
export class ReplWindow implements ReplWindowHandle {
  readonly #d: ReplWindowDeps;
  readonly #window: BaseWindow;
  readonly #toolbar: WebContentsView;
  readonly #splitter: WebContentsView;
  readonly #ide: WebContentsView;
  #preview: WebContentsView | undefined;
  #detached: BaseWindow | undefined;
  #repl: Repl | undefined;
  #view: ViewState = { previewOpen: false, previewDetached: false, busy: false };
  #previewWidth: number | undefined;
  #overlay = false;
  #hosts;

  constructor(deps: ReplWindowDeps) {
    this.#d = deps;
    this.#hosts = serverHosts(deps.server);
    const bounds = restoreBounds(deps.savedBounds, deps.workAreas(), { width: 1400, height: 900 });
    this.#window = new BaseWindow({ ...bounds, minWidth: 640, minHeight: 400, title: 'Codeyard', show: true });
    const partition = partitionFor(deps.server);
    this.#toolbar = this.#appView('toolbar', `${APP_ORIGIN}/toolbar?repl=${deps.replId}`);
    // What was sent before the page listened is lost: it gets the state again once loaded.
    this.#toolbar.webContents.on('did-finish-load', () => this.#push());
    this.#splitter = this.#appView('splitter', `${APP_ORIGIN}/splitter`);
    this.#ide = this.#remoteView(partition, 'ide');
    this.#window.contentView.addChildView(this.#ide);
    this.#window.contentView.addChildView(this.#toolbar);
    this.#window.on('resize', () => this.#layout());
    this.#window.on('focus', () => this.#push());
    this.#window.on('close', () => this.#d.saveBounds(this.#window.getNormalBounds()));
    this.#window.on('closed', () => this.#dispose());
    this.#layout();
    void this.reloadIde();
  }

  #appView(role: PageRole, url: string): WebContentsView {
    const view = new WebContentsView({ webPreferences: appPagePreferences(this.#d.preload) });
    this.#d.register(view.webContents.id, { role });
    secureWebContents(view.webContents, () => ({ view: 'app' }), { ...this.#d.actions, showPreview: (u) => this.showPreview(undefined, u) });
    void view.webContents.loadURL(url);
    return view;
  }

  #remoteView(partition: string, kind: 'ide' | 'preview'): WebContentsView {
    const view = new WebContentsView({ webPreferences: remotePagePreferences(partition) });
    const context = (): NavigationContext => ({ view: kind, server: this.#hosts, replId: this.#d.replId });
    this.#d.register(view.webContents.id, { context });
    secureWebContents(view.webContents, context, { ...this.#d.actions, showPreview: (u) => this.showPreview(undefined, u) });
    return view;
  }

  #layout(): void {
    const [width, height] = this.#window.getContentSize() as [number, number];
    const layout = layoutReplWindow({ width, height, previewOpen: this.#view.previewOpen, previewDetached: this.#view.previewDetached, previewWidth: this.#previewWidth, overlay: this.#overlay });
    this.#toolbar.setBounds(layout.toolbar);
    const place = (view: WebContentsView | undefined, rect: Rect | undefined) => {
      if (!view) return;
      view.setVisible(!!rect);
      if (rect) view.setBounds(rect);
    };
    place(this.#ide, layout.ide);
    if (layout.splitter && !this.#window.contentView.children.includes(this.#splitter)) this.#window.contentView.addChildView(this.#splitter);
    place(this.#splitter, layout.splitter);
    if (!this.#view.previewDetached) place(this.#preview, layout.preview);
    // The toolbar's page is on top: while the overlay shows it covers the window.
    this.#window.contentView.addChildView(this.#toolbar);
  }

  #push(): void {
    if (!this.#repl) return;
    const state = toolbarState(this.#repl, this.#view);
    this.#window.setTitle(windowTitle(this.#repl));
    this.#toolbar.webContents.send(PUSH_CHANNELS.toolbar, state);
    this.#d.onState(state);
  }

  /** A new state of the repl, from the event stream or an answer to our own call. */
  update(repl: Repl): void {
    this.#repl = repl;
    this.#hosts = serverHosts(this.#d.server, repl);
    this.#push();
  }

  get repl(): Repl | undefined {
    return this.#repl;
  }

  get toolbarWebContentsId(): number {
    return this.#toolbar.webContents.id;
  }

  get splitterWebContentsId(): number {
    return this.#splitter.webContents.id;
  }

  /** What the toolbar shows now (the Repl menu follows the focused window's). */
  get state(): ToolbarState | undefined {
    return this.#repl && toolbarState(this.#repl, this.#view);
  }

  isFocused(): boolean {
    return !this.#window.isDestroyed() && this.#window.isFocused();
  }

  /** Opens VS Code with a fresh one-time link (at start, and after the connection came back). */
  async reloadIde(): Promise<void> {
    try {
      this.update(await this.#d.client.repl(this.#d.replId));
      await this.#ide.webContents.loadURL(await this.#d.client.ideLink(this.#d.replId));
    } catch (err) {
      this.#view.error = err instanceof Error ? err.message : String(err);
      this.#push();
    }
  }

  setOverlay(on: boolean): void {
    this.#overlay = on;
    this.#layout();
  }

  async action(action: ToolbarAction): Promise<void> {
    const repl = this.#repl;
    const preview = repl ? previewUrlOf(repl) : undefined;
    switch (action) {
      case 'run':
      case 'stop':
        this.#view = { ...this.#view, busy: true, error: undefined };
        this.#push();
        try {
          const app = action === 'run' ? await this.#d.client.startApp(this.#d.replId) : await this.#d.client.stopApp(this.#d.replId);
          if (this.#repl) this.#repl = { ...this.#repl, app };
          if (action === 'run' && !this.#view.previewOpen) this.showPreview();
        } catch (err) {
          this.#view.error = err instanceof Error ? err.message : String(err);
        } finally {
          this.#view.busy = false;
          this.#push();
        }
        return;
      case 'open-preview':
        return this.showPreview();
      case 'close-preview':
        this.#detached?.close();
        this.#view = { ...this.#view, previewOpen: false, previewDetached: false };
        this.#layout();
        return this.#push();
      case 'detach-preview':
        return this.#toggleDetached();
      case 'open-in-browser':
        if (preview) this.#d.actions.openExternal(preview);
        return;
      case 'copy-preview-url':
        if (preview) clipboard.writeText(preview);
        return;
    }
  }

  /** Shows the preview (of `port`, or at `url` on one of this repl's preview hosts). */
  showPreview(port?: number, url?: string): void {
    const repl = this.#repl;
    if (!this.#preview) this.#preview = this.#remoteView(partitionFor(this.#d.server), 'preview');
    if (!this.#view.previewDetached) this.#window.contentView.addChildView(this.#preview);
    this.#view = { ...this.#view, previewOpen: true };
    const target = url ?? (port ? repl?.ports.find((p) => p.port === port)?.url : repl && previewUrlOf(repl));
    const visibility = repl?.ports.find((p) => target?.startsWith(p.url))?.visibility;
    // A private port opens through a one-time link that gives the partition its cookie.
    const load = visibility === 'private' || port ? this.#d.client.ideLink(this.#d.replId, port ?? repl?.port) : Promise.resolve(target);
    void load.then(async (href) => {
      if (href) await this.#preview?.webContents.loadURL(href);
    }).catch((err: unknown) => {
      this.#view.error = `preview: ${err instanceof Error ? err.message : String(err)}`;
      this.#push();
    });
    this.#layout();
    this.#push();
  }

  #toggleDetached(): void {
    if (!this.#preview) return;
    if (this.#detached) {
      this.#detached.close();
      return;
    }
    const detached = new BaseWindow({ width: 900, height: 700, title: `${this.#repl?.name ?? 'Preview'} — Preview` });
    this.#window.contentView.removeChildView(this.#preview);
    detached.contentView.addChildView(this.#preview);
    const fit = () => {
      const [w, h] = detached.getContentSize() as [number, number];
      this.#preview?.setBounds({ x: 0, y: 0, width: w, height: h });
    };
    detached.on('resize', fit);
    fit();
    this.#preview.setVisible(true);
    detached.on('closed', () => {
      this.#detached = undefined;
      this.#view = { ...this.#view, previewDetached: false };
      if (this.#preview && !this.#window.isDestroyed()) this.#window.contentView.addChildView(this.#preview);
      if (!this.#window.isDestroyed()) this.#layout();
      this.#push();
    });
    this.#detached = detached;
    this.#view = { ...this.#view, previewDetached: true };
    this.#layout();
    this.#push();
  }

  dragSplitter(deltaX: number): void {
    const [width] = this.#window.getContentSize() as [number, number];
    const current = this.#previewWidth ?? width * 0.4;
    this.#previewWidth = dragSplitter(width, current, deltaX);
    this.#layout();
  }

  focus(): void {
    if (this.#window.isMinimized()) this.#window.restore();
    this.#window.focus();
  }

  close(): void {
    this.#window.close();
  }

  #dispose(): void {
    this.#detached?.close();
    for (const view of [this.#toolbar, this.#splitter, this.#ide, this.#preview]) {
      if (!view) continue;
      this.#d.unregister(view.webContents.id);
      view.webContents.close();
    }
    this.#d.closed();
  }
}
