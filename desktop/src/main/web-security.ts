import { decideNavigation, decidePermission, decideWindowOpen, type NavigationContext, type NavigationDecision } from './navigation-policy.js';

/**
 * The parts of Electron's WebContents, Session and App these rules attach to, structurally
 * (Electron's objects fit; the tests pass EventEmitter doubles and fire the events).
 */
export interface WebContentsLike {
  id: number;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
}

export interface SessionLike {
  setPermissionRequestHandler(handler: ((webContents: { id: number }, permission: any, callback: (granted: boolean) => void, details: { requestingUrl?: string }) => void) | null): void;
  setPermissionCheckHandler(handler: ((webContents: { id: number } | null, permission: any, requestingOrigin: string, details: unknown) => boolean) | null): void;
  setDevicePermissionHandler?(handler: ((details: unknown) => boolean) | null): void;
}

export interface AppLike {
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** What the rules do when a decision is more than allow or deny. */
export interface NavigationActions {
  openExternal(url: string): void;
  openRepl(replId: string, port?: number): void;
  showPreview(url: string): void;
  log(message: string): void;
}

interface NavigationEvent {
  url: string;
  isMainFrame: boolean;
  preventDefault(): void;
}

function act(decision: NavigationDecision, actions: NavigationActions, where: string): void {
  switch (decision.action) {
    case 'external':
      return actions.openExternal(decision.url);
    case 'open-repl':
      return actions.openRepl(decision.replId, decision.port);
    case 'preview':
      return actions.showPreview(decision.url);
    case 'deny':
      return actions.log(`${where} refused: ${decision.reason}`);
    case 'allow':
      return;
  }
}

/**
 * Every webContents the app makes gets these before it loads anything: `window.open` always
 * denied (the decision may open the system browser, the preview view or a repl window instead),
 * navigations and redirects in any frame checked by the navigation policy (a subframe is only
 * ever allowed or refused, never handed out), and no <webview> attached.
 */
export function secureWebContents(webContents: WebContentsLike, context: () => NavigationContext, actions: NavigationActions): void {
  webContents.setWindowOpenHandler(({ url }) => {
    act(decideWindowOpen(url, context()), actions, 'window.open');
    return { action: 'deny' };
  });
  const guard = (kind: string) => (event: NavigationEvent) => {
    const decision = decideNavigation(event.url, context());
    if (decision.action === 'allow') return;
    event.preventDefault();
    if (event.isMainFrame) act(decision, actions, kind);
    else actions.log(`${kind} of a subframe to ${event.url} refused`);
  };
  webContents.on('will-frame-navigate', guard('navigation'));
  webContents.on('will-redirect', guard('redirect'));
  webContents.on('will-attach-webview', (event: { preventDefault(): void }) => event.preventDefault());
}

/**
 * A session's permission rules: every request and check goes through decidePermission with the
 * context of the webContents asking (one session holds a server's IDE and preview views of
 * every repl); one the app did not make gets nothing. Device pickers (HID, serial, USB) are
 * refused outright.
 */
export function secureSession(session: SessionLike, contextOf: (webContentsId: number) => NavigationContext | undefined): void {
  session.setPermissionRequestHandler((webContents, permission, callback, details) => {
    const context = contextOf(webContents.id);
    callback(!!context && decidePermission(String(permission), details.requestingUrl ?? '', context));
  });
  session.setPermissionCheckHandler((webContents, permission, requestingOrigin) => {
    const context = webContents ? contextOf(webContents.id) : undefined;
    return !!context && decidePermission(String(permission), requestingOrigin, context);
  });
  session.setDevicePermissionHandler?.(() => false);
}

/**
 * Certificate errors are never ignored: the default (refuse the page) stands, and the handler
 * only says so in the log. It never calls `event.preventDefault()`, which is what would let the
 * callback's answer accept a bad certificate.
 */
export function refuseCertificateErrors(app: AppLike, log: (message: string) => void): void {
  app.on('certificate-error', (_event: unknown, _webContents: unknown, url: string, error: string, _certificate: unknown, callback: (trust: boolean) => void) => {
    log(`certificate error for ${url} (${error}): refused`);
    callback(false);
  });
}
