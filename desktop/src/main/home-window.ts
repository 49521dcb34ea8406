import { BrowserWindow } from 'electron';
import { APP_ORIGIN } from './navigation-policy.js';
import type { Rect } from './server-store.js';
import { appPagePreferences } from './web-preferences.js';
import { secureWebContents, type NavigationActions } from './web-security.js';
import { restoreBounds } from './window-layout.js';

/** The home window: the app's home page (servers, sign-in, the portal's repl list), one at a time. */
export function createHomeWindow(options: {
  preload: string;
  icon?: string;
  savedBounds: Rect | undefined;
  workAreas: Rect[];
  saveBounds(rect: Rect): void;
  registerHome(webContentsId: number): void;
  unregister(webContentsId: number): void;
  actions: NavigationActions;
}): BrowserWindow {
  const bounds = restoreBounds(options.savedBounds, options.workAreas, { width: 1100, height: 800 });
  const window = new BrowserWindow({ ...bounds, minWidth: 420, minHeight: 400, title: 'Codeyard', show: false, icon: options.icon, backgroundColor: '#f7f7f8', webPreferences: appPagePreferences(options.preload) });
  const id = window.webContents.id;
  options.registerHome(id);
  secureWebContents(window.webContents, () => ({ view: 'app' }), options.actions);
  window.once('ready-to-show', () => window.show());
  window.on('close', () => options.saveBounds(window.getNormalBounds()));
  window.on('closed', () => options.unregister(id));
  void window.loadURL(`${APP_ORIGIN}/`);
  return window;
}
