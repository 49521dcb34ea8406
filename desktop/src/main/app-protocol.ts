import fs from 'node:fs/promises';
import path from 'node:path';
import { isReplId } from '@codeyard/common/repl-id';
import type { PortalClient } from './portal-client.js';

/**
 * The app's own pages' policy: their scripts and styles only (Lit adopts constructed
 * stylesheets, which CSP does not govern), icons and API calls to the same origin, which the
 * handler forwards to the server. No inline script, no eval, no frames, no plugins.
 */
export const APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** The app's pages by path: everything else under the UI folder is an asset. */
const PAGES: Record<string, string> = { '/': 'home.html', '/home': 'home.html', '/toolbar': 'toolbar.html', '/splitter': 'splitter.html' };

/** API paths the app's pages never reach through the handler: sign-in is the main process's alone. */
const BLOCKED_API = [/^\/api\/session$/, /^\/api\/auth(\/|$)/, /^\/api\/tokens(\/|$)/, /^\/api\/admin(\/|$)/];

/** Response headers passed back from the server (no cookies: the app's pages have none). */
const PASSED_HEADERS = ['content-type', 'content-disposition', 'content-length', 'cache-control', 'retry-after', 'etag', 'last-modified'];

export interface AppHandlerOptions {
  /** The built pages (desktop/dist/ui). */
  uiDir: string;
  /** The current server's client, with its token; undefined when no server is signed in. */
  current(): { client: PortalClient; signedIn: boolean } | undefined;
  /** `/open/<id>`: the home page's Open IDE and private preview links. */
  onOpen(replId: string, port?: number): void;
}

function json(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });
}

/**
 * The `codeyard-app://app/` origin of the app's own pages, as one Fetch-API handler (Electron's
 * protocol.handle gives a Request and takes a Response; the Chromium tests serve the very same
 * function over loopback HTTP). It serves the built pages with their CSP, and forwards `/api/*`
 * and `/stacks/*` to the current server with the bearer token added here, in the main
 * process, so the portal's own Lit elements work unchanged on the same origin as in a
 * browser while the token never reaches a page.
 */
export function createAppHandler(options: AppHandlerOptions): (request: Request) => Promise<Response> {
  const root = path.resolve(options.uiDir);
  return async (request) => {
    const url = new URL(request.url);
    const pathname = url.pathname;
    if (pathname.startsWith('/api/') || pathname.startsWith('/stacks/')) return forward(request, url, options);
    const open = /^\/open\/([^/]+)$/.exec(pathname);
    if (open) {
      if (!isReplId(open[1])) return json(400, 'BAD_REQUEST', 'not a repl id');
      const port = url.searchParams.get('port');
      const n = port === null ? undefined : Number(port);
      if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 65535)) return json(400, 'BAD_REQUEST', 'the port is not a port number');
      options.onOpen(open[1], n);
      return new Response(null, { status: 204 });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, 'METHOD_NOT_ALLOWED', 'the app pages are read-only');
    return serveFile(root, PAGES[pathname] ?? pathname);
  };
}

async function serveFile(root: string, relative: string): Promise<Response> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return json(400, 'BAD_REQUEST', 'bad path');
  }
  const file = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  if (decoded.includes('\0') || (file !== root && !file.startsWith(root + path.sep))) return json(404, 'NOT_FOUND', 'no such page');
  const type = CONTENT_TYPES[path.extname(file)];
  if (!type) return json(404, 'NOT_FOUND', 'no such page');
  let body: Buffer;
  try {
    body = await fs.readFile(file);
  } catch {
    return json(404, 'NOT_FOUND', 'no such page');
  }
  const headers: Record<string, string> = { 'content-type': type, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' };
  if (file.endsWith('.html')) Object.assign(headers, { 'content-security-policy': APP_CSP, 'referrer-policy': 'no-referrer' });
  return new Response(new Uint8Array(body), { status: 200, headers });
}

async function forward(request: Request, url: URL, options: AppHandlerOptions): Promise<Response> {
  if (BLOCKED_API.some((re) => re.test(url.pathname))) {
    // The portal's page code asks for an anonymous session after a 401: the app signs in otherwise.
    return json(401, 'UNAUTHENTICATED', 'you are signed out of this server: sign in again from the server menu');
  }
  const current = options.current();
  if (!current?.signedIn) return json(401, 'UNAUTHENTICATED', 'sign in to a server first');
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'accept']) {
    const value = request.headers.get(name);
    if (value) headers[name] = value;
  }
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null;
  let upstream: Response;
  try {
    upstream = await current.client.send(`${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body: hasBody ? request.body : undefined,
      // The event stream stays open; the archive downloads may take long.
      timeout: !(url.pathname === '/api/events' || url.pathname.endsWith('/archive')),
      signal: request.signal,
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit & { timeout: boolean });
  } catch (err) {
    return json(502, 'NETWORK', err instanceof Error ? err.message : String(err));
  }
  const out = new Headers();
  for (const name of PASSED_HEADERS) {
    const value = upstream.headers.get(name);
    if (value) out.set(name, value);
  }
  // A redirect would take the page off the app's origin: the app's pages never follow one.
  if (upstream.status >= 300 && upstream.status < 400) return json(502, 'REDIRECTED', `the server redirected ${url.pathname}`);
  return new Response(upstream.body, { status: upstream.status, headers: out });
}
