import { parseHost, type DomainConfig } from '@codeyard/common/hostnames';
import { isReplId } from '@codeyard/common/repl-id';

/** The scheme and host of the app's own pages (home, toolbar, splitter), served by app-protocol.ts. */
export const APP_SCHEME = 'codeyard-app';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** A server's hosts: the portal, `<id>.<domain>` (IDE) and `<id>-<port>.<previewDomain>` (apps). */
export interface ServerHosts extends DomainConfig {
  /** The portal's origin, e.g. `https://codeyard.example.com` or `http://localhost:8080`. */
  origin: string;
}

/**
 * A server's hosts as its repl views name them: the IDE host's parent is the portal's domain
 * (which may differ from what the user typed, e.g. 127.0.0.1 for a portal on `localhost`), the
 * preview host's parent the preview domain. Without a repl to learn from, the typed origin.
 */
export function serverHosts(origin: string, repl?: { ideUrl?: string; previewUrl?: string }): ServerHosts {
  const parentOf = (href: string | undefined): URL | undefined => {
    try {
      const url = new URL(href ?? '');
      const dot = url.hostname.indexOf('.');
      if (dot < 1) return undefined;
      url.hostname = url.hostname.slice(dot + 1);
      return url;
    } catch {
      return undefined;
    }
  };
  const portal = parentOf(repl?.ideUrl) ?? new URL(origin);
  const hosts: ServerHosts = { origin: portal.origin, domain: portal.hostname };
  const preview = parentOf(repl?.previewUrl);
  if (preview && preview.hostname !== portal.hostname) hosts.previewDomain = preview.hostname;
  return hosts;
}

/** Which kind of view navigates: the app's own pages, or one repl's remote IDE or preview. */
export type NavigationContext = { view: 'app' } | { view: 'ide' | 'preview'; server: ServerHosts; replId: string };

export type NavigationDecision =
  | { action: 'allow' }
  /** Handed to the system browser (shell.openExternal): http and https only. */
  | { action: 'external'; url: string }
  /** Shown in the repl window's preview view. */
  | { action: 'preview'; url: string }
  /** Opens (or focuses) a repl window: the portal's `/open/<id>` links, the home page's Open IDE. */
  | { action: 'open-repl'; replId: string; port?: number }
  | { action: 'deny'; reason: string };

function parse(target: string): URL | undefined {
  try {
    return new URL(target);
  } catch {
    return undefined;
  }
}

function isWeb(url: URL): boolean {
  return url.protocol === 'http:' || url.protocol === 'https:';
}

/** `/open/<id>` (with `?port=`), the portal's and the home page's way to open a repl. */
function openLink(url: URL): NavigationDecision | undefined {
  const match = /^\/open\/([^/]+)$/.exec(url.pathname);
  if (!match || !isReplId(match[1])) return undefined;
  const port = url.searchParams.get('port');
  if (port === null) return { action: 'open-repl', replId: match[1] };
  const n = Number(port);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? { action: 'open-repl', replId: match[1], port: n } : { action: 'deny', reason: 'bad port in an open link' };
}

/** Where a URL on one of the server's hosts goes, or undefined when it is not the server's. */
function classify(url: URL, server: ServerHosts) {
  const origin = new URL(server.origin);
  // Same scheme and port as the portal: the proxy serves every host of the server on one port.
  if (url.protocol !== origin.protocol || url.port !== origin.port) return undefined;
  const route = parseHost(url.host, server);
  return route.kind === 'foreign' || route.kind === 'unknown' ? undefined : route;
}

/**
 * Whether a view may navigate to `target` (will-navigate, will-redirect, will-frame-navigate):
 * the app's pages stay on the app's own origin; a repl's views stay on the server's own hosts
 * (the portal, repl IDE hosts, preview hosts). Other http(s) addresses go to the system browser;
 * every other scheme (file:, javascript:, data:, custom ones) is refused.
 */
export function decideNavigation(target: string, context: NavigationContext): NavigationDecision {
  const url = parse(target);
  if (!url) return { action: 'deny', reason: 'not a URL' };
  if (context.view === 'app') {
    if (url.origin === APP_ORIGIN || (url.protocol === `${APP_SCHEME}:` && url.host === 'app')) return openLink(url) ?? { action: 'allow' };
    return isWeb(url) ? { action: 'external', url: url.href } : { action: 'deny', reason: `${url.protocol} is not opened` };
  }
  if (!isWeb(url)) return { action: 'deny', reason: `${url.protocol} is not opened` };
  const route = classify(url, context.server);
  if (!route) return { action: 'external', url: url.href };
  // The proxy sends a browser whose IDE cookie lapsed to the portal's /open/<id>: the app
  // answers with a fresh one-time link instead (the portal's cookie is the browser's, not ours).
  if (route.kind === 'portal') return openLink(url) ?? { action: 'allow' };
  return { action: 'allow' };
}

/**
 * What `window.open` (and `target=_blank` links) becomes: never a new Electron window. This
 * repl's preview hosts show in the preview view, `/open/<id>` links open repl windows, other
 * http(s) addresses go to the system browser, anything else is refused.
 */
export function decideWindowOpen(target: string, context: NavigationContext): Exclude<NavigationDecision, { action: 'allow' }> {
  const url = parse(target);
  if (!url) return { action: 'deny', reason: 'not a URL' };
  if (context.view === 'app') {
    if (url.protocol === `${APP_SCHEME}:`) {
      const open = url.host === 'app' ? openLink(url) : undefined;
      return open && open.action !== 'allow' ? open : { action: 'deny', reason: 'the app opens no window of its own pages' };
    }
    return isWeb(url) ? { action: 'external', url: url.href } : { action: 'deny', reason: `${url.protocol} is not opened` };
  }
  if (!isWeb(url)) return { action: 'deny', reason: `${url.protocol} is not opened` };
  const route = classify(url, context.server);
  if (route?.kind === 'preview' && route.replId === context.replId) return { action: 'preview', url: url.href };
  if (route?.kind === 'portal') {
    const open = openLink(url);
    if (open && open.action !== 'allow') return open;
  }
  return { action: 'external', url: url.href };
}

/** Permissions a repl's IDE may use: copy and paste in VS Code. */
const IDE_PERMISSIONS = new Set(['clipboard-read', 'clipboard-sanitized-write']);

/**
 * Whether a permission request (or check) is granted: only the clipboard, only to this repl's
 * IDE host. Previews (any app a user runs), other hosts and the app's own pages get nothing:
 * no camera, microphone, notifications, geolocation, MIDI, HID, serial, USB, or opening
 * external apps.
 */
export function decidePermission(permission: string, requestingUrl: string, context: NavigationContext): boolean {
  if (context.view !== 'ide' || !IDE_PERMISSIONS.has(permission)) return false;
  const url = parse(requestingUrl);
  if (!url) return false;
  const route = classify(url, context.server);
  return route?.kind === 'ide' && route.replId === context.replId;
}
