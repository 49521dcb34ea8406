import { isReplId } from '@codeyard/common/repl-id';
import { CHANNELS_BY_ROLE, INVOKE_CHANNELS, TOOLBAR_ACTIONS, type InvokeChannel, type PageRole } from '../shared/ipc-channels.js';
import { APP_ORIGIN } from './navigation-policy.js';

/** Electron's ipcMain as far as it is used (injected: tests call the handlers as a page would). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown): void;
}

export interface IpcInvokeEventLike {
  sender: { id: number };
  /** The frame that sent it (null once it navigated away or was destroyed). */
  senderFrame: { url: string; parent: unknown } | null;
}

/** Who the caller is, once the checks passed. */
export interface IpcCaller {
  webContentsId: number;
  role: PageRole;
}

export type IpcHandlers = Record<InvokeChannel, (caller: IpcCaller, ...args: unknown[]) => unknown>;

/** Refused calls: a page asking for something it may not is a bug or an attack, never a user's doing. */
export class IpcRefusal extends Error {
  override name = 'IpcRefusal';
}

const isString = (v: unknown, max = 2048): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** Each channel's arguments, checked before its handler runs (pages are not trusted with types). */
const ARGUMENTS: Record<InvokeChannel, (args: unknown[]) => boolean> = {
  [INVOKE_CHANNELS.serversList]: (a) => a.length === 0,
  [INVOKE_CHANNELS.serversAdd]: (a) => a.length === 1 && isString(a[0]),
  [INVOKE_CHANNELS.serversRemove]: (a) => a.length === 1 && isString(a[0]),
  [INVOKE_CHANNELS.serversSelect]: (a) => a.length === 1 && isString(a[0]),
  [INVOKE_CHANNELS.signIn]: (a) => a.length === 1 && isString(a[0]),
  [INVOKE_CHANNELS.signInCancel]: (a) => a.length === 1 && isString(a[0]),
  [INVOKE_CHANNELS.signInAsGuest]: (a) => a.length === 1 && isString(a[0]),
  [INVOKE_CHANNELS.signOut]: (a) => a.length === 1 && isString(a[0]),
  [INVOKE_CHANNELS.replOpen]: (a) => (a.length === 1 || (a.length === 2 && (a[1] === undefined || (Number.isInteger(a[1]) && (a[1] as number) >= 1 && (a[1] as number) <= 65535)))) && isReplId(a[0]),
  [INVOKE_CHANNELS.toolbarAction]: (a) => a.length === 1 && (TOOLBAR_ACTIONS as readonly unknown[]).includes(a[0]),
  [INVOKE_CHANNELS.splitterDrag]: (a) => a.length === 1 && typeof a[0] === 'number' && Number.isFinite(a[0]) && Math.abs(a[0]) <= 10_000,
  [INVOKE_CHANNELS.reconnectNow]: (a) => a.length === 0,
  [INVOKE_CHANNELS.preferencesSet]: (a) => a.length === 1 && typeof a[0] === 'object' && a[0] !== null && Object.keys(a[0]).every((k) => k === 'checkForUpdates'),
};

/**
 * Registers the handlers of every allowed channel, each behind the same checks (Electron's
 * security checklist, "validate the sender of all IPC messages"): the sender is one of the
 * app's own pages (registered with its role when its view was made), it calls from its top
 * frame, that frame shows the app's own origin, the role may use the channel, and the
 * arguments have the channel's shape. Anything else is refused and logged.
 */
export function registerIpc(ipcMain: IpcMainLike, handlers: IpcHandlers, roleOf: (webContentsId: number) => PageRole | undefined, log: (message: string) => void): void {
  for (const channel of Object.values(INVOKE_CHANNELS)) {
    ipcMain.handle(channel, async (event, ...args) => {
      const caller = checkCaller(channel, event, roleOf);
      if (typeof caller === 'string') {
        log(`IPC ${channel} refused: ${caller}`);
        throw new IpcRefusal(`refused: ${caller}`);
      }
      if (!ARGUMENTS[channel](args)) {
        log(`IPC ${channel} refused: bad arguments from ${caller.role}`);
        throw new IpcRefusal(`refused: bad arguments for ${channel}`);
      }
      return handlers[channel](caller, ...args);
    });
  }
}

/** The caller when every check passes, else why not. */
export function checkCaller(channel: string, event: IpcInvokeEventLike, roleOf: (webContentsId: number) => PageRole | undefined): IpcCaller | string {
  const role = roleOf(event.sender.id);
  if (!role) return `webContents ${event.sender.id} is not one of the app's pages`;
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame is gone';
  if (frame.parent) return 'a subframe may not call the app';
  let origin: string;
  try {
    origin = new URL(frame.url).origin;
  } catch {
    return `the sender's URL ${frame.url} is not a URL`;
  }
  // Custom schemes have an opaque `origin` ("null") in Node's URL: compare scheme and host.
  const url = new URL(frame.url);
  const appUrl = new URL(APP_ORIGIN);
  if (origin !== APP_ORIGIN && !(url.protocol === appUrl.protocol && url.host === appUrl.host)) return `the sender shows ${frame.url}, not an app page`;
  if (!(CHANNELS_BY_ROLE[role] as readonly string[]).includes(channel)) return `the ${role} page may not use ${channel}`;
  return { webContentsId: event.sender.id, role };
}
