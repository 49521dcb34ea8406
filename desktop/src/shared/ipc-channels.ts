/**
 * The one list of IPC channels between the app's own pages and the main process. The preload
 * exposes one plain function per channel (never `ipcRenderer` itself), and the main process
 * answers only these channels, only from the pages whose role may use them (ipc.ts).
 * Imported as types by the preload (which may load nothing but `electron` at run time) and by
 * the pages; as values by the main process.
 */

/** Calls a page makes (`ipcRenderer.invoke`). */
export const INVOKE_CHANNELS = {
  serversList: 'servers:list',
  serversAdd: 'servers:add',
  serversRemove: 'servers:remove',
  serversSelect: 'servers:select',
  signIn: 'auth:sign-in',
  signInCancel: 'auth:cancel',
  signInAsGuest: 'auth:guest',
  signOut: 'auth:sign-out',
  replOpen: 'repl:open',
  toolbarAction: 'toolbar:action',
  splitterDrag: 'splitter:drag',
  reconnectNow: 'connection:retry',
  preferencesSet: 'preferences:set',
} as const;

/** What the main process pushes to a page (`webContents.send`). */
export const PUSH_CHANNELS = {
  servers: 'push:servers',
  signIn: 'push:sign-in',
  connection: 'push:connection',
  toolbar: 'push:toolbar',
  prompt: 'push:prompt',
} as const;

export type InvokeChannel = (typeof INVOKE_CHANNELS)[keyof typeof INVOKE_CHANNELS];
export type PushChannel = (typeof PUSH_CHANNELS)[keyof typeof PUSH_CHANNELS];

/** Which of the app's own pages a webContents shows: it decides the channels it may call. */
export type PageRole = 'home' | 'toolbar' | 'splitter';

/** The channels each page may call; every other call is refused and logged. */
export const CHANNELS_BY_ROLE: Record<PageRole, readonly InvokeChannel[]> = {
  home: [
    INVOKE_CHANNELS.serversList,
    INVOKE_CHANNELS.serversAdd,
    INVOKE_CHANNELS.serversRemove,
    INVOKE_CHANNELS.serversSelect,
    INVOKE_CHANNELS.signIn,
    INVOKE_CHANNELS.signInCancel,
    INVOKE_CHANNELS.signInAsGuest,
    INVOKE_CHANNELS.signOut,
    INVOKE_CHANNELS.replOpen,
    INVOKE_CHANNELS.reconnectNow,
    INVOKE_CHANNELS.preferencesSet,
  ],
  toolbar: [INVOKE_CHANNELS.toolbarAction, INVOKE_CHANNELS.reconnectNow],
  splitter: [INVOKE_CHANNELS.splitterDrag],
};

export const TOOLBAR_ACTIONS = ['run', 'stop', 'open-preview', 'close-preview', 'detach-preview', 'open-in-browser', 'copy-preview-url'] as const;
export type ToolbarAction = (typeof TOOLBAR_ACTIONS)[number];

/** One server as the home page shows it: never its token. */
export interface ServerSummary {
  url: string;
  signedIn: boolean;
  account?: { id: string; email?: string; name?: string };
  /** Where the token is kept: `safe-storage` (encrypted by the OS), or `memory` (this run only). */
  tokenKept?: 'safe-storage' | 'memory';
}

export interface ServersState {
  current: string | undefined;
  servers: ServerSummary[];
  preferences: Preferences;
}

export interface Preferences {
  /** Update checks are off until the user turns them on. */
  checkForUpdates: boolean;
}

/** The device sign-in as it goes: the code to compare, then done or failed. */
export type SignInProgress =
  | { state: 'waiting'; server: string; userCode: string; verificationUri: string; expiresAt: string }
  | { state: 'done'; server: string }
  | { state: 'failed'; server: string; message: string; guestPossible?: boolean };

export type ConnectionState =
  | { state: 'online' }
  | { state: 'offline'; server: string; reason: string; retryAt: string; attempt: number }
  | { state: 'signed-out'; server: string; message: string };

/** What the repl window's toolbar (and its menu) shows. */
export interface ToolbarState {
  replId: string;
  name: string;
  status: string;
  statusLabel: string;
  app: { running: boolean; label: string };
  run: { label: 'Run' | 'Stop app'; action: 'run' | 'stop'; enabled: boolean };
  preview: { url: string | undefined; open: boolean; detached: boolean; enabled: boolean };
  busy: boolean;
  error?: string;
}

/** A question the home page asks the user for the main process (a deep link to an unknown server). */
export interface Prompt {
  kind: 'add-server-for-link';
  server: string;
  replId: string;
}

/** What the preload gives a page as `window.codeyard`: plain functions, nothing of Electron. */
export interface DesktopBridge {
  servers(): Promise<ServersState>;
  addServer(url: string): Promise<ServersState>;
  removeServer(url: string): Promise<ServersState>;
  selectServer(url: string): Promise<ServersState>;
  signIn(url: string): Promise<void>;
  cancelSignIn(url: string): Promise<void>;
  signInAsGuest(url: string): Promise<ServersState>;
  signOut(url: string): Promise<{ revoked: boolean; message: string }>;
  openRepl(replId: string, port?: number): Promise<void>;
  toolbarAction(action: ToolbarAction): Promise<void>;
  dragSplitter(deltaX: number): Promise<void>;
  reconnectNow(): Promise<void>;
  setPreferences(preferences: Partial<Preferences>): Promise<ServersState>;
  /** Listens to one push channel; answers the function that stops listening. */
  on(channel: PushChannel, listener: (payload: unknown) => void): () => void;
}
