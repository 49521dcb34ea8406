import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/**
 * code-server's static files compressed once, at the best ratio, into a cache folder the portal
 * owns: code-server compresses them again on every request (Express's `compression`, brotli at
 * a fast setting), inside the repl's CPU quota, and a first visit waits for the 19 MB
 * `workbench.js` to be squeezed through it. Made when code-server is provisioned, and lazily in
 * the background for any file served before its copy exists (ide-static.ts).
 *
 * The cache is keyed by the install (its versioned prefix and folder), never by anything a repl
 * sends: it holds only what the portal read from its own read-only install.
 */

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

export type Encoding = 'br' | 'gzip';

/** Smaller files are sent as they are: compressing them saves less than a packet. */
export const MIN_COMPRESS_BYTES = 1024;

/** Types whose bytes compress (text, and wasm, whose code does); images and fonts like woff2 already are. */
const COMPRESSIBLE = /^(text\/|application\/(javascript|json|wasm|xml|manifest\+json)|image\/svg\+xml|font\/(ttf|otf))/;

export function compressible(contentType: string, bytes: number): boolean {
  return bytes >= MIN_COMPRESS_BYTES && COMPRESSIBLE.test(contentType);
}

/** The cache folder of one install: the same prefix from another folder is another install. */
export function installCacheDir(cacheDir: string, prefix: string, root: string): string {
  const name = prefix.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, '');
  return path.join(cacheDir, `${name}-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
}

/** Where the compressed copies of `relative` (a path under the install's root) live. */
export function variantPath(installDir: string, relative: string, encoding: Encoding): string {
  return path.join(installDir, `${relative}.${encoding === 'br' ? 'br' : 'gz'}`);
}

async function writeAtomically(file: string, data: Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  // Portals on one machine share the cache: each writes its own temporary file, and a rename is whole.
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  try {
    await fs.writeFile(partial, data);
    await fs.rename(partial, file);
  } catch (err) {
    await fs.rm(partial, { force: true });
    throw err;
  }
}

/** Writes the brotli (quality 11) and gzip (level 9) copies of `file`, unless both are there. */
export async function precompressFile(file: string, installDir: string, relative: string): Promise<void> {
  const targets = (['br', 'gzip'] as const).map((encoding) => ({ encoding, to: variantPath(installDir, relative, encoding) }));
  const missing = [];
  for (const target of targets) if (!(await fs.stat(target.to).catch(() => undefined))) missing.push(target);
  if (!missing.length) return;
  const data = await fs.readFile(file);
  for (const { encoding, to } of missing) {
    const packed =
      encoding === 'br'
        ? await brotli(data, {
            params: {
              [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
              [zlib.constants.BROTLI_PARAM_LGWIN]: zlib.constants.BROTLI_MAX_WINDOW_BITS,
              [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
              [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
            },
          })
        : await gzip(data, { level: 9 });
    await writeAtomically(to, packed);
  }
}

/**
 * Compresses files one at a time in the background, each once: what ide-static.ts asks for when
 * it served a file with no copy yet. Bounded: at most `maxQueued` files wait, the rest are asked
 * for again on their next request.
 */
export class Precompressor {
  readonly #queue: Array<{ file: string; installDir: string; relative: string }> = [];
  readonly #known = new Set<string>();
  #running?: Promise<void>;
  #closed = false;

  constructor(
    private readonly options: { maxQueued?: number; onError?: (file: string, err: unknown) => void } = {},
  ) {}

  /** Asks for `file`'s copies; returns at once. */
  request(file: string, installDir: string, relative: string): void {
    const key = `${installDir}\0${relative}`;
    if (this.#closed || this.#known.has(key) || this.#queue.length >= (this.options.maxQueued ?? 1000)) return;
    this.#known.add(key);
    this.#queue.push({ file, installDir, relative });
    this.#running ??= this.#drain();
  }

  /** Resolves when nothing is queued or being compressed (tests, and close). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops taking work; the file being compressed finishes. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    await this.idle();
  }

  async #drain(): Promise<void> {
    try {
      for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
        try {
          await precompressFile(next.file, next.installDir, next.relative);
        } catch (err) {
          // Asked again on a later request; the file is served compressed on the fly meanwhile.
          this.#known.delete(`${next.installDir}\0${next.relative}`);
          this.options.onError?.(next.file, err);
        }
      }
    } finally {
      this.#running = undefined;
    }
  }
}
