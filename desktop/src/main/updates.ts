/** Update checks: wired to electron-updater, off until the user turns them on. */

/** How often a running app looks again, when checks are on. */
export const UPDATE_INTERVAL_MS = 6 * 60 * 60 * 1000;

/**
 * Whether to check: only when the user asked for it (Preferences, off by default), only in a
 * packaged app (a development build has no update feed), and never when the administrator's
 * environment says no (CODEYARD_DESKTOP_UPDATES=off, for managed machines).
 */
export function shouldCheckForUpdates(options: { preference: boolean; isPackaged: boolean; env: Record<string, string | undefined> }): boolean {
  if (options.env.CODEYARD_DESKTOP_UPDATES === 'off') return false;
  return options.preference && options.isPackaged;
}

export interface Updater {
  checkForUpdatesAndNotify(): Promise<unknown>;
  autoDownload: boolean;
}

/**
 * Starts periodic checks and answers the function that stops them. electron-updater is loaded
 * only here, when checks are on: it reads Electron's modules as it loads.
 */
export async function startUpdateChecks(options: { load?: () => Promise<Updater>; log(message: string): void; setInterval?: typeof setInterval; clearInterval?: typeof clearInterval }): Promise<() => void> {
  const load = options.load ?? (async () => ((await import('electron-updater')) as unknown as { default: { autoUpdater: Updater } }).default.autoUpdater);
  const updater = await load();
  // electron-updater downloads a new version in the background and checkForUpdatesAndNotify
  // tells the user it is installed when they quit.
  updater.autoDownload = true;
  const check = () => void updater.checkForUpdatesAndNotify().catch((err: unknown) => options.log(`update check failed: ${err instanceof Error ? err.message : String(err)}`));
  check();
  const timer = (options.setInterval ?? setInterval)(check, UPDATE_INTERVAL_MS);
  return () => (options.clearInterval ?? clearInterval)(timer);
}
