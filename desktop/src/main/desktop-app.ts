import os from 'node:os';
import type { Repl } from '@codeyard/common/api/models';
import { app, type BrowserWindow, ipcMain, Menu, Notification, protocol, safeStorage, screen, session, shell, Tray, webContents } from 'electron';
import { PUSH_CHANNELS, type PageRole, type PushChannel, type ToolbarAction } from '../shared/ipc-channels.js';
import { Accounts, partitionFor } from './accounts.js';
import { createAppHandler } from './app-protocol.js';
import { AppWatch } from './app-watch.js';
import { abortableSleep } from './device-sign-in.js';
import { createHomeWindow } from './home-window.js';
import { registerIpc, type IpcHandlers } from './ipc.js';
import { ipcHandlers } from './ipc-handlers.js';
import { applicationMenu, trayMenu, trayTooltip, type MenuItemSpec } from './menus.js';
import { APP_SCHEME, type NavigationContext } from './navigation-policy.js';
import { PortalClient } from './portal-client.js';
import { realScheduler } from './reconnector.js';
import { badgeOf, crashNotice } from './repl-state.js';
import { ReplWindow } from './repl-window.js';
import { ServerConnection } from './server-connection.js';
import { ServerStore } from './server-store.js';
import { shouldCheckForUpdates, startUpdateChecks } from './updates.js';
import { secureSession, type NavigationActions } from './web-security.js';
import { replWindowKey, WindowManager } from './window-manager.js';

export interface DesktopPaths {
  preload: string;
  uiDir: string;
  trayIcon: string;
  windowIcon: string;
}

type PageEntry = { role: PageRole } | { context: () => NavigationContext };

/**
 * The running app, put together from the tested parts: the store, accounts, one live
 * connection per signed-in server, the app protocol, IPC, the home window, repl windows, tray,
 * menu, badge, notifications and update checks. Made once Electron is ready.
 */
export class DesktopApp {
  readonly #paths: DesktopPaths;
  readonly #log = (message: string) => console.log(`[codeyard] ${message}`);
  readonly #pages = new Map<number, PageEntry>();
  readonly #store: ServerStore;
  readonly #clients = new Map<string, PortalClient>();
  readonly #connections = new Map<string, ServerConnection>();
  /** The repls of each connected server as last seen (tray, badge, crash notices). */
  readonly #repls = new Map<string, Map<string, Repl>>();
  readonly #securedPartitions = new Set<string>();
  readonly #accounts: Accounts;
  readonly #windows: WindowManager<ReplWindow>;
  readonly #appWatch: AppWatch;
  #home: BrowserWindow | undefined;
  #tray: Tray | undefined;
  #crashes = 0;
  /** A deep link waiting for its server to be added or signed in to. */
  #pendingLink: { server: string; replId: string; port?: number } | undefined;

  constructor(paths: DesktopPaths) {
    this.#paths = paths;
    this.#store = new ServerStore({ dir: app.getPath('userData'), safeStorage });
    for (const problem of this.#store.problems) this.#log(problem);
    this.#accounts = new Accounts({
      store: this.#store,
      clientFor: (server) => this.#client(server),
      openExternal: (url) => shell.openExternal(url),
      clearPartition: (partition) => session.fromPartition(partition).clearStorageData(),
      hostName: os.hostname(),
      sleep: abortableSleep,
      now: () => Date.now(),
      onProgress: (progress) => this.#push(PUSH_CHANNELS.signIn, progress),
      onChange: (server) => this.#serverChanged(server),
    });
    this.#appWatch = new AppWatch({
      scheduler: realScheduler,
      read: (key) => {
        const [server, replId] = key.split(' ') as [string, string];
        return this.#client(server).app(replId);
      },
      onChange: (key, appState) => {
        const [server, replId] = key.split(' ') as [string, string];
        const known = this.#repls.get(server)?.get(replId) ?? this.#windows.get(server, replId)?.repl;
        if (known) this.#replChanged(server, { ...known, app: appState });
      },
    });
    this.#windows = new WindowManager((server, replId, options, closed) => {
      this.#secure(server);
      const unwatch = this.#appWatch.watch(replWindowKey(server, replId), this.#repls.get(server)?.get(replId)?.app);
      const window = new ReplWindow({
        server,
        replId,
        client: this.#client(server),
        preload: this.#paths.preload,
        workAreas: () => screen.getAllDisplays().map((d) => d.workArea),
        savedBounds: this.#store.bounds('repl'),
        saveBounds: (rect) => this.#store.setBounds('repl', rect),
        register: (id, entry) => this.#pages.set(id, entry),
        unregister: (id) => this.#pages.delete(id),
        actions: this.#actions(server),
        onState: () => this.#refreshChrome(),
        closed: () => {
          unwatch();
          closed();
          this.#refreshChrome();
        },
      });
      if (options.port) window.showPreview(options.port);
      return window;
    });
  }

  start(): void {
    protocol.handle(APP_SCHEME, createAppHandler({
      uiDir: this.#paths.uiDir,
      current: () => {
        const server = this.#store.current;
        return server ? { client: this.#client(server), signedIn: !!this.#store.token(server) } : undefined;
      },
      onOpen: (replId, port) => this.openRepl(this.#store.current, replId, port),
    }));
    // The app's own pages ask for no permission: every request is refused.
    secureSession(session.defaultSession, () => undefined);
    registerIpc(ipcMain, this.#handlers(), (id) => {
      const entry = this.#pages.get(id);
      return entry && 'role' in entry ? entry.role : undefined;
    }, this.#log);
    for (const { url, signedIn } of this.#store.state().servers) if (signedIn) this.#connect(url);
    this.showHome();
    this.#tray = new Tray(this.#paths.trayIcon);
    this.#tray.on('click', () => this.showHome());
    this.#refreshChrome();
    if (shouldCheckForUpdates({ preference: this.#store.preferences.checkForUpdates, isPackaged: app.isPackaged, env: process.env })) {
      void startUpdateChecks({ log: this.#log }).catch((err: unknown) => this.#log(`updates: ${String(err)}`));
    }
  }

  #client(server: string): PortalClient {
    let client = this.#clients.get(server);
    if (!client) {
      client = new PortalClient({ server, token: () => this.#store.token(server) });
      this.#clients.set(server, client);
    }
    return client;
  }

  /** The permission rules of a server's partition, set before its first view is made. */
  #secure(server: string): void {
    const partition = partitionFor(server);
    if (this.#securedPartitions.has(partition)) return;
    this.#securedPartitions.add(partition);
    secureSession(session.fromPartition(partition), (id) => {
      const entry = this.#pages.get(id);
      return entry && 'context' in entry ? entry.context() : undefined;
    });
  }

  #actions(server: string | undefined): NavigationActions {
    return {
      openExternal: (url) => void shell.openExternal(url),
      openRepl: (replId, port) => this.openRepl(server ?? this.#store.current, replId, port),
      showPreview: () => undefined,
      log: this.#log,
    };
  }

  /** Sends to the home page (and, for connection states, to every toolbar). */
  #push(channel: PushChannel, payload: unknown): void {
    for (const [id, entry] of this.#pages) {
      if (!('role' in entry)) continue;
      if (entry.role === 'home' || (channel === PUSH_CHANNELS.connection && entry.role === 'toolbar')) this.#send(id, channel, payload);
    }
  }

  #send(id: number, channel: string, payload: unknown): void {
    const target = webContents.fromId(id);
    if (target && !target.isDestroyed()) target.send(channel, payload);
  }

  showHome(): void {
    if (this.#home && !this.#home.isDestroyed()) {
      if (this.#home.isMinimized()) this.#home.restore();
      this.#home.show();
      this.#home.focus();
      return;
    }
    this.#home = createHomeWindow({
      preload: this.#paths.preload,
      icon: this.#paths.windowIcon,
      savedBounds: this.#store.bounds('home'),
      workAreas: screen.getAllDisplays().map((d) => d.workArea),
      saveBounds: (rect) => this.#store.setBounds('home', rect),
      registerHome: (id) => this.#pages.set(id, { role: 'home' }),
      unregister: (id) => this.#pages.delete(id),
      actions: this.#actions(undefined),
    });
    this.#home.on('closed', () => (this.#home = undefined));
  }

  openRepl(server: string | undefined, replId: string, port?: number): void {
    if (!server || !this.#store.token(server)) {
      if (server) this.#pendingLink = { server, replId, port };
      return this.showHome();
    }
    const window = this.#windows.open(server, replId, { port });
    const seen = this.#repls.get(server)?.get(replId);
    if (seen) window.update(seen);
  }

  /** A deep link, checked by parseDeepLink: opened, or held until its server is added and signed in to. */
  openLink(link: { server: string; replId: string; port?: number }): void {
    if (this.#store.has(link.server) && this.#store.token(link.server)) return this.openRepl(link.server, link.replId, link.port);
    this.#pendingLink = link;
    this.showHome();
    if (this.#store.has(link.server)) {
      this.#store.select(link.server);
      this.#push(PUSH_CHANNELS.servers, this.#store.state());
    } else {
      // Never added silently: the home page asks whether to add the link's server.
      this.#push(PUSH_CHANNELS.prompt, { kind: 'add-server-for-link', server: link.server, replId: link.replId });
    }
  }

  #serverChanged(server: string): void {
    this.#connections.get(server)?.close();
    this.#connections.delete(server);
    this.#repls.delete(server);
    if (this.#store.token(server)) this.#connect(server);
    else this.#windows.closeServer(server);
    this.#push(PUSH_CHANNELS.servers, this.#store.state());
    if (server === this.#store.current) this.#home?.webContents.reload();
    const pending = this.#pendingLink;
    if (pending?.server === server && this.#store.token(server)) {
      this.#pendingLink = undefined;
      this.openRepl(server, pending.replId, pending.port);
    }
    this.#refreshChrome();
  }

  /** A repl's new state (event stream, app reading, resync): window, crash notice, tray and badge. */
  #replChanged(server: string, repl: Repl): void {
    const repls = this.#repls.get(server);
    const before = repls?.get(repl.id) ?? this.#windows.get(server, repl.id)?.repl;
    const notice = crashNotice(before, repl);
    repls?.set(repl.id, repl);
    this.#appWatch.seen(replWindowKey(server, repl.id), repl.app);
    this.#windows.get(server, repl.id)?.update(repl);
    if (notice && Notification.isSupported()) {
      this.#crashes += 1;
      const note = new Notification({ title: notice.title, body: notice.body });
      note.on('click', () => this.openRepl(server, repl.id));
      note.show();
    }
    this.#refreshChrome();
  }

  #connect(server: string): void {
    const connection = new ServerConnection({ client: this.#client(server), scheduler: realScheduler });
    this.#connections.set(server, connection);
    const repls = new Map<string, Repl>();
    this.#repls.set(server, repls);
    connection.subscribe({
      repl: (repl) => this.#replChanged(server, repl),
      deleted: (id) => {
        repls.delete(id);
        this.#windows.get(server, id)?.close();
        this.#refreshChrome();
      },
      state: (state) => {
        for (const w of this.#windows.all()) if (w.server === server) w.window.setOverlay(state.state !== 'online');
        if (state.state === 'online') this.#appWatch.resume();
        else this.#appWatch.pause();
        for (const w of this.#windows.all()) if (w.server === server) this.#send(w.window.toolbarWebContentsId, PUSH_CHANNELS.connection, state);
        if (server === this.#store.current && this.#home) this.#send(this.#home.webContents.id, PUSH_CHANNELS.connection, state);
        // The token was revoked or expired elsewhere: forget it, and the home window asks to sign in again.
        if (state.state === 'signed-out') {
          this.#store.clearToken(server);
          queueMicrotask(() => this.#serverChanged(server));
          return;
        }
        // Back online: VS Code's connection may have given up meanwhile; a fresh link restores it.
        if (state.state === 'online') for (const w of this.#windows.all()) if (w.server === server && w.window.repl) void w.window.reloadIde();
      },
      resync: () => {
        void connection.client.repls().then((list) => {
          repls.clear();
          for (const r of list) repls.set(r.id, r);
          for (const r of list) this.#windows.get(server, r.id)?.update(r);
          this.#refreshChrome();
        }, () => undefined);
      },
    });
    connection.start();
  }

  /** Menu, tray, badge: redrawn from what is known after every change. */
  #refreshChrome(): void {
    const menu = applicationMenu(this.#focused()?.state, process.platform);
    Menu.setApplicationMenu(Menu.buildFromTemplate(this.#withClicks(menu, (id) => this.#menuClick(id))));
    const all = [...this.#repls].flatMap(([server, repls]) => [...repls.values()].map((r) => ({ server, id: r.id, name: r.name, running: r.status === 'running', appRunning: r.app.running })));
    if (this.#tray) {
      this.#tray.setToolTip(trayTooltip(all));
      this.#tray.setContextMenu(Menu.buildFromTemplate(this.#withClicks(trayMenu(all), (id) => this.#menuClick(id))));
    }
    const badge = badgeOf([...this.#repls.values()].flatMap((m) => [...m.values()]), this.#crashes);
    app.setBadgeCount(badge.count);
    app.dock?.setBadge(badge.text);
  }

  #menuClick(id: string): void {
    if (id === 'home') return this.showHome();
    if (id === 'quit') return app.quit();
    if (id.startsWith('open:')) {
      const [server, replId] = id.slice(5).split(' ');
      return this.openRepl(server, replId!);
    }
    void this.#focused()?.action(id as ToolbarAction);
  }

  /** The repl window in front (the Repl menu acts on it), if one is. */
  #focused(): ReplWindow | undefined {
    return this.#windows.all().find((w) => w.window.isFocused())?.window;
  }

  #withClicks(items: MenuItemSpec[], click: (id: string) => void): Electron.MenuItemConstructorOptions[] {
    return items.map((item) => ({
      ...(item as Electron.MenuItemConstructorOptions),
      ...(item.submenu ? { submenu: this.#withClicks(item.submenu, click) } : {}),
      ...(item.id && !item.role ? { click: () => click(item.id!) } : {}),
    }));
  }

  #windowOf(toolbarId: number): ReplWindow | undefined {
    return this.#windows.all().find((w) => w.window.toolbarWebContentsId === toolbarId)?.window;
  }

  #handlers(): IpcHandlers {
    return ipcHandlers({
      store: this.#store,
      accounts: this.#accounts,
      openRepl: (replId, port) => this.openRepl(this.#store.current, replId, port),
      reloadHome: () => this.#home?.webContents.reload(),
      toolbarAction: (id, action) => this.#windowOf(id)?.action(action),
      dragSplitter: (id, dx) => this.#windows.all().find((w) => w.window.splitterWebContentsId === id)?.window.dragSplitter(dx),
      reconnectNow: () => {
        for (const c of this.#connections.values()) c.retryNow();
      },
    });
  }
}
