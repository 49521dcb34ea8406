import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { compressible, type Encoding, installCacheDir, Precompressor, precompressFile, variantPath } from './precompress.js';

/**
 * code-server's versioned static files (`/<quality>-<commit>/static/…`: VS Code's 19 MB
 * `workbench.js`, its CSS, messages, workers, wasm) served by the proxy from code-server's own
 * read-only install instead of by each repl's code-server: compressed once at the best ratio
 * (precompress.ts) rather than on every request inside the repl's CPU quota, and marked
 * immutable (the commit in the path changes with every release). Nothing a repl serves is
 * cached or shared: the files come from the install the portal provisioned, and only paths that
 * resolve to a file inside its static root are served (no `..`, no symlink out of it). Who may
 * fetch them is the access policy's decision (`ide-static`): the same owners it would forward
 * to the repl's code-server.
 */

/** Where one code-server install serves its versioned static files from. */
export interface IdeStaticRoot {
  /** The URL path prefix, `/<quality>-<commit>/static/` (code-server's `product.json`). */
  prefix: string;
  /** The folder the prefix maps to: code-server's `lib/vscode`, provisioned and read-only to repls. */
  root: string;
}

/** Reads an install's static route from its VS Code `product.json`; undefined when it has none. */
export function ideStaticRootOf(vscodeDir: string): IdeStaticRoot | undefined {
  try {
    const product = JSON.parse(fs.readFileSync(path.join(vscodeDir, 'product.json'), 'utf8')) as { quality?: string; commit?: string };
    if (!product.commit || !/^[0-9a-f]{40}$/.test(product.commit)) return undefined;
    // VS Code's web server: `/${quality ?? 'oss'}-${commit}/static/` maps to its app root.
    return { prefix: `/${product.quality ?? 'oss'}-${product.commit}/static/`, root: fs.realpathSync(vscodeDir) };
  } catch {
    return undefined;
  }
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
};

export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file a request's path (after the prefix, still URL-encoded) names under `root`, or
 * undefined: undecodable, empty or dot segments, backslashes, NUL, not a regular file, or a
 * path whose real location (symlinks followed) is outside the root.
 */
export async function resolveStaticFile(root: string, encodedRest: string): Promise<string | undefined> {
  let rest: string;
  try {
    rest = decodeURIComponent(encodedRest);
  } catch {
    return undefined;
  }
  if (/[\\\0]/.test(rest)) return undefined;
  const segments = rest.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return undefined;
  try {
    const real = await fsp.realpath(path.join(root, ...segments));
    if (!real.startsWith(root + path.sep)) return undefined;
    return (await fsp.stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** The encoding to answer with for an Accept-Encoding header: brotli, then gzip, else none. */
export function pickEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
    accepted.set(name, q ? Number(q[1]) : 1);
  }
  const ok = (name: string): boolean => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  return ok('br') ? 'br' : ok('gzip') ? 'gzip' : undefined;
}

/** A year, the most HTTP caches keep anything; `immutable`: not even revalidated on reload. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface IdeStaticOptions {
  /** The portal's folder for compressed copies; without it, files are compressed per request. */
  cacheDir?: string;
  log?: { warn(obj: object, msg: string): void };
}

/** Serves the static files of code-server installs (see the top of this file). */
export class IdeStaticFiles {
  readonly #precompressor: Precompressor;

  constructor(private readonly options: IdeStaticOptions = {}) {
    this.#precompressor = new Precompressor({ onError: (file, err) => options.log?.warn({ file, err: (err as Error)?.message }, 'could not precompress a static file') });
  }

  /** Answers a GET or HEAD for `encodedRest` (the path after the prefix): the file, 304, or 404. */
  async serve(req: http.IncomingMessage, res: http.ServerResponse, install: IdeStaticRoot, encodedRest: string): Promise<void> {
    const file = await resolveStaticFile(install.root, encodedRest);
    const stat = file ? await fsp.stat(file).catch(() => undefined) : undefined;
    if (!file || !stat) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      return void res.end('Not found.');
    }
    const type = contentTypeOf(file);
    const encoding = compressible(type, stat.size) ? pickEncoding(req.headers['accept-encoding'] as string | undefined) : undefined;
    const headers: http.OutgoingHttpHeaders = {
      'content-type': type,
      'cache-control': IMMUTABLE,
      'x-content-type-options': 'nosniff',
      // Weak: a copy made on the fly and the one made once differ in bytes, not in content.
      etag: `W/"${stat.size.toString(36)}-${Math.trunc(stat.mtimeMs).toString(36)}${encoding ? `-${encoding}` : ''}"`,
    };
    if (compressible(type, stat.size)) headers.vary = 'Accept-Encoding';
    if (encoding) headers['content-encoding'] = encoding;
    if (req.headers['if-none-match'] === headers.etag) {
      res.writeHead(304, headers);
      return void res.end();
    }
    const relative = path.relative(install.root, file);
    const installDir = this.options.cacheDir ? installCacheDir(this.options.cacheDir, install.prefix, install.root) : undefined;
    let source = file;
    let packedOnTheFly = false;
    if (encoding) {
      const copy = installDir ? variantPath(installDir, relative, encoding) : undefined;
      const copyStat = copy ? await fsp.stat(copy).catch(() => undefined) : undefined;
      if (copy && copyStat) {
        source = copy;
        headers['content-length'] = copyStat.size;
      } else {
        packedOnTheFly = true;
        if (installDir) this.#precompressor.request(file, installDir, relative);
      }
    } else {
      headers['content-length'] = stat.size;
    }
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return void res.end();
    const read = fs.createReadStream(source);
    // A fast setting on the fly: the best one takes a minute for workbench.js; the copy made meanwhile has it.
    const sent = packedOnTheFly
      ? pipeline(read, encoding === 'br' ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: stat.size } }) : zlib.createGzip({ level: 6 }), res)
      : pipeline(read, res);
    await sent.catch(() => res.destroy());
  }

  /** Waits for the background compression (tests). */
  idle(): Promise<void> {
    return this.#precompressor.idle();
  }

  close(): Promise<void> {
    return this.#precompressor.close();
  }
}

/**
 * Compresses the files a browser loads from an install (everything compressible under `out/`,
 * where the workbench, its workers and messages are) into `cacheDir`, skipping what is there:
 * run when code-server is provisioned, so even the first visit gets the small copies.
 */
export async function precompressInstall(install: IdeStaticRoot, cacheDir: string, onFile: (relative: string) => void = () => undefined): Promise<number> {
  const installDir = installCacheDir(cacheDir, install.prefix, install.root);
  const out = path.join(install.root, 'out');
  let count = 0;
  for (const entry of await fsp.readdir(out, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (!compressible(contentTypeOf(file), (await fsp.stat(file)).size)) continue;
    const relative = path.relative(install.root, file);
    onFile(relative);
    await precompressFile(file, installDir, relative);
    count++;
  }
  return count;
}
