/**
 * The webPreferences of every view the app makes, in one place (Electron's security
 * checklist): context isolation, the renderer sandbox, no Node.js in any page or subframe, web
 * security on, no insecure content, no <webview>, no navigation by dropping a file. The app's
 * own pages get the narrow preload; remote pages (VS Code, previews) get none and live in their
 * server's session partition.
 */
const COMMON = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  experimentalFeatures: false,
} as const;

export function appPagePreferences(preload: string) {
  return { ...COMMON, preload, spellcheck: false };
}

export function remotePagePreferences(partition: string) {
  return { ...COMMON, partition, spellcheck: true };
}
