import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { escapeHtml } from '@codeyard/common/html';
import { contentType, fileForUrl, isHtml, isWithin, LIVE_RELOAD_PATH, reloadsPages, withLiveReload } from './static-files.js';

/**
 * The static stack's web server, with live reload: the repl's files as they are on disk, and
 * every HTML page told to reload itself when one changes (a save in VS Code, a terminal write),
 * in the preview beside the editor and in any other tab, as Replit's HTML repls do. It is the
 * agent's own program (`codeyard-agent.cjs serve-static`, which the stack's Run starts with the
 * Node.js that runs the agent), so the stack needs no toolchain of its own.
 *
 * Pages are served with `cache-control: no-store`, so a reload always gets what is on disk.
 * Only GET and HEAD; nothing outside the site's folder (`..` refused, links leading out answer
 * 404); a folder without index.html is listed.
 */

/** Pages listening at once (each an open connection); one more gets 503. */
const MAX_LISTENERS = 64;
/** Changes closer together than this are one reload (a save is several events). */
const SETTLE_MS = 150;
/** A comment down each open stream this often, so no proxy on the way closes it as idle. */
const KEEPALIVE_MS = 25_000;

export interface StaticServer {
  server: http.Server;
  /** Tells every open page to reload (what a change on disk does). */
  reload(): void;
  close(): Promise<void>;
}

export function createStaticServer(root: string, log: (line: string) => void = () => undefined): StaticServer {
  const listeners = new Set<http.ServerResponse>();
  const reload = (): void => {
    for (const res of listeners) res.write('data: reload\n\n');
  };
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      log(`${req.method} ${req.url}: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'the file could not be read');
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', `${req.method} is not served here: this is a site of files (GET, HEAD)`);
    }
    const url = req.url ?? '/';
    if (url.split('?')[0] === LIVE_RELOAD_PATH) return listen(res);
    const target = fileForUrl(root, url);
    if ('status' in target) return send(res, target.status, 'text/plain; charset=utf-8', target.reason);
    const real = await fs.promises.realpath(target.file).catch(() => undefined);
    if (!real || !isWithin(await fs.promises.realpath(root), real)) return notFound(res, url);
    const stat = await fs.promises.stat(real);
    if (stat.isDirectory()) {
      const pathname = url.split('?')[0]!;
      // Relative links in a folder's page resolve against the folder only with the slash.
      // Slashes collapsed: a location of `//host/` would send the browser to another site.
      if (!pathname.endsWith('/')) return redirect(res, `${pathname.replace(/\/{2,}/g, '/')}/${url.slice(pathname.length)}`);
      const index = path.join(real, 'index.html');
      if (fs.existsSync(index)) return sendFile(req, res, index);
      return sendPage(req, res, listing(pathname, await fs.promises.readdir(real, { withFileTypes: true })));
    }
    if (!stat.isFile()) return notFound(res, url);
    return sendFile(req, res, real);
  }

  function listen(res: http.ServerResponse): void {
    if (listeners.size >= MAX_LISTENERS) return send(res, 503, 'text/plain; charset=utf-8', `at most ${MAX_LISTENERS} pages live-reload at once`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    listeners.add(res);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    res.on('close', () => {
      clearInterval(keepalive);
      listeners.delete(res);
    });
  }

  let timer: NodeJS.Timeout | undefined;
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(root, { recursive: true }, (_event, name) => {
      if (name && !reloadsPages(name.toString())) return;
      clearTimeout(timer);
      timer = setTimeout(reload, SETTLE_MS);
    });
    watcher.on('error', (err) => log(`live reload stopped: ${err.message}`));
  } catch (err) {
    // Pages are still served; they just do not reload by themselves.
    log(`live reload is off: ${(err as Error).message}`);
  }

  return {
    server,
    reload,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(timer);
        watcher?.close();
        for (const res of listeners) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

function notFound(res: http.ServerResponse, url: string): void {
  send(res, 404, 'text/plain; charset=utf-8', `${url.split('?')[0]} is not a file of this site`);
}

function redirect(res: http.ServerResponse, location: string): void {
  res.writeHead(301, { location, 'content-length': 0 });
  res.end();
}

async function sendFile(req: http.IncomingMessage, res: http.ServerResponse, file: string): Promise<void> {
  if (isHtml(file)) return sendPage(req, res, await fs.promises.readFile(file, 'utf8'));
  const { size } = await fs.promises.stat(file);
  res.writeHead(200, { 'content-type': contentType(file), 'content-length': size, 'cache-control': 'no-store' });
  if (req.method === 'HEAD') return void res.end();
  await new Promise<void>((resolve, reject) => {
    const stream = fs.createReadStream(file);
    stream.on('error', reject);
    res.on('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}

function sendPage(req: http.IncomingMessage, res: http.ServerResponse, html: string): void {
  const body = withLiveReload(html);
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function listing(pathname: string, entries: fs.Dirent[]): string {
  const items = entries
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((e) => {
      const name = e.name + (e.isDirectory() ? '/' : '');
      return `<li><a href="${escapeHtml(encodeURIComponent(e.name) + (e.isDirectory() ? '/' : ''))}">${escapeHtml(name)}</a></li>`;
    });
  const title = `Files in ${escapeHtml(pathname)}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>No index.html here.</p><ul>${items.join('')}</ul></body></html>`;
}

/**
 * `codeyard-agent serve-static [--port N] [--root DIR]`: serves `root` (the current folder) on
 * every address of the repl's own network, on `port` (PORT, as Run sets it for the stack's port).
 */
export async function runStaticServer(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const port = Number(option('port') ?? env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`serve-static: the port must be 1-65535, not ${option('port') ?? env.PORT}`);
  const root = path.resolve(option('root') ?? process.cwd());
  if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`serve-static: ${root} is not a folder`);
  const site = createStaticServer(root, (line) => process.stderr.write(`serve-static: ${line}\n`));
  await new Promise<void>((resolve, reject) => {
    site.server.once('error', reject);
    site.server.listen(port, '0.0.0.0', () => resolve());
  });
  process.stdout.write(`Serving ${root} at http://localhost:${port}/ (pages reload when a file changes)\n`);
  const stop = (): void => void site.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
