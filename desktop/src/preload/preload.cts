/*
 * The preload of the app's own pages (home, toolbar, splitter), run sandboxed with context
 * isolation: a sandboxed preload may load nothing but `electron`, so this file is CommonJS,
 * imports the channel list only as types, and spells the channel names out (the types check
 * each one against the shared list). The page gets `window.codeyard`: plain functions, one per
 * channel, never `ipcRenderer` itself (Electron's checklist; electron/fiddle does the same).
 * The remote pages (VS Code, previews) get no preload at all.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { DesktopBridge, InvokeChannel, PushChannel } from '../shared/ipc-channels.js';

const invoke = <T,>(channel: InvokeChannel, ...args: unknown[]): Promise<T> => ipcRenderer.invoke(channel, ...args) as Promise<T>;

const PUSH: readonly PushChannel[] = ['push:servers', 'push:sign-in', 'push:connection', 'push:toolbar', 'push:prompt'];

const bridge: DesktopBridge = {
  servers: () => invoke('servers:list'),
  addServer: (url) => invoke('servers:add', url),
  removeServer: (url) => invoke('servers:remove', url),
  selectServer: (url) => invoke('servers:select', url),
  signIn: (url) => invoke('auth:sign-in', url),
  cancelSignIn: (url) => invoke('auth:cancel', url),
  signInAsGuest: (url) => invoke('auth:guest', url),
  signOut: (url) => invoke('auth:sign-out', url),
  openRepl: (replId, port) => (port === undefined ? invoke('repl:open', replId) : invoke('repl:open', replId, port)),
  toolbarAction: (action) => invoke('toolbar:action', action),
  dragSplitter: (deltaX) => invoke('splitter:drag', deltaX),
  reconnectNow: () => invoke('connection:retry'),
  setPreferences: (preferences) => invoke('preferences:set', preferences),
  on(channel, listener) {
    if (!PUSH.includes(channel)) throw new Error(`unknown channel ${String(channel)}`);
    // The page's listener gets the payload only, never the event (which carries `sender`).
    const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(channel, handler);
    return () => void ipcRenderer.removeListener(channel, handler);
  },
};

contextBridge.exposeInMainWorld('codeyard', bridge);
