import { INVOKE_CHANNELS, type Preferences, type ServersState, type ToolbarAction } from '../shared/ipc-channels.js';
import type { Accounts } from './accounts.js';
import type { IpcHandlers } from './ipc.js';
import type { ServerStore } from './server-store.js';

/** What the handlers act on; the app passes its windows and connections, the browser tests theirs. */
export interface IpcServices {
  store: ServerStore;
  accounts: Accounts;
  /** Opens (or focuses) a repl window of the current server. */
  openRepl(replId: string, port?: number): void;
  /** The home page shows another server (or the same one signed in): it loads again. */
  reloadHome(): void;
  /** The toolbar page's window acts (`webContentsId` is the caller's: a toolbar acts on its own window only). */
  toolbarAction(webContentsId: number, action: ToolbarAction): Promise<void> | void;
  dragSplitter(webContentsId: number, deltaX: number): void;
  reconnectNow(): void;
}

/**
 * What each IPC channel does, once ipc.ts has checked the caller and the arguments' shape. The
 * repl a toolbar acts on is the caller's own window, never an argument a page could change.
 */
export function ipcHandlers(s: IpcServices): IpcHandlers {
  const state = (): ServersState => s.store.state();
  return {
    [INVOKE_CHANNELS.serversList]: () => state(),
    [INVOKE_CHANNELS.serversAdd]: (_c, url) => (s.store.add(url as string), state()),
    [INVOKE_CHANNELS.serversRemove]: async (_c, url) => {
      if (s.store.token(url as string)) await s.accounts.signOut(url as string);
      s.store.remove(url as string);
      s.reloadHome();
      return state();
    },
    [INVOKE_CHANNELS.serversSelect]: (_c, url) => {
      s.store.select(url as string);
      s.reloadHome();
      return state();
    },
    [INVOKE_CHANNELS.signIn]: (_c, url) => s.accounts.signIn(url as string),
    [INVOKE_CHANNELS.signInCancel]: (_c, url) => s.accounts.cancel(url as string),
    [INVOKE_CHANNELS.signInAsGuest]: async (_c, url) => (await s.accounts.signInAsGuest(url as string), state()),
    [INVOKE_CHANNELS.signOut]: (_c, url) => s.accounts.signOut(url as string),
    [INVOKE_CHANNELS.replOpen]: (_c, replId, port) => s.openRepl(replId as string, port as number | undefined),
    [INVOKE_CHANNELS.toolbarAction]: (caller, action) => s.toolbarAction(caller.webContentsId, action as ToolbarAction),
    [INVOKE_CHANNELS.splitterDrag]: (caller, dx) => s.dragSplitter(caller.webContentsId, dx as number),
    [INVOKE_CHANNELS.reconnectNow]: () => s.reconnectNow(),
    [INVOKE_CHANNELS.preferencesSet]: (_c, prefs) => (s.store.setPreferences(prefs as Partial<Preferences>), state()),
  };
}
