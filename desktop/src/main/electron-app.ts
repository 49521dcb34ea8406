import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, protocol } from 'electron';
import { DeepLinkError, DEEP_LINK_SCHEME, deepLinkFromArgv, parseDeepLink } from './deep-link.js';
import { DesktopApp } from './desktop-app.js';
import { APP_SCHEME } from './navigation-policy.js';
import { refuseCertificateErrors } from './web-security.js';

/** The workspace folder (desktop/ in the repository, the app's root in a package). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Starts the app: the one-instance lock (a second start hands its deep link to the first and
 * exits), the `codeyard://` link registration, the app's own scheme, the certificate rule, and
 * the DesktopApp once Electron is ready.
 */
export function startDesktopApp(): void {
  // A data folder of its own for the smoke run (npm run desktop:smoke), never the user's.
  if (process.env.CODEYARD_DESKTOP_USER_DATA) app.setPath('userData', process.env.CODEYARD_DESKTOP_USER_DATA);
  // Before ready: the app's pages get a standard, secure origin with fetch and streaming.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }]);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  // In development the link must start Electron with this app's entry as its argument.
  if (process.defaultApp && process.argv[1]) app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, process.execPath, [path.resolve(process.argv[1])]);
  else app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);

  refuseCertificateErrors(app, (m) => console.log(`[codeyard] ${m}`));
  // Defence in depth: any webContents (one the app did not mean to make, devtools' too) starts
  // with window.open denied and no <webview>; the app's own views then get their full rules.
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  let desktop: DesktopApp | undefined;
  const pending: string[] = [];
  const open = (link: string) => {
    if (!desktop) return void pending.push(link);
    try {
      desktop.openLink(parseDeepLink(link));
    } catch (err) {
      desktop.showHome();
      dialog.showErrorBox('Codeyard could not open this link', err instanceof DeepLinkError ? err.message : String(err));
    }
  };
  const first = deepLinkFromArgv(process.argv);
  if (first) pending.push(first);
  // macOS delivers links as events (also the one the app was started with).
  app.on('open-url', (event, link) => {
    event.preventDefault();
    open(link);
  });
  // Windows and Linux start a second instance with the link in argv: it lands here.
  app.on('second-instance', (_event, argv) => {
    const link = deepLinkFromArgv(argv);
    if (link) open(link);
    else desktop?.showHome();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => desktop?.showHome());

  void app.whenReady().then(() => {
    desktop = new DesktopApp({
      preload: path.join(ROOT, 'dist/src/preload/preload.cjs'),
      uiDir: path.join(ROOT, 'dist/ui'),
      trayIcon: path.join(ROOT, 'build', process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'),
      windowIcon: path.join(ROOT, 'build/icon.png'),
    });
    desktop.start();
    for (const link of pending.splice(0)) open(link);
  });
}
