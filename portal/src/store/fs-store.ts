import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@codeyard/common/errors';
import { checkKey, checkPrefix, type ObjectInfo, type ObjectStore, type PutOptions, type PutStreamOptions, type StoredObject } from './object-store.js';

/**
 * The default store: a directory. Object data lives under `objects/<key>`, metadata (when an
 * object has any) under `meta/<key>.json`, and writes go through `tmp/` and a rename, so a
 * crash leaves the previous object whole. Keys are checked before they touch a path, so no
 * key can name a file outside the directory.
 */
export class FsStore implements ObjectStore {
  readonly name = 'fs';
  readonly #objects: string;
  readonly #meta: string;
  readonly #tmp: string;

  private constructor(readonly root: string) {
    this.#objects = path.join(root, 'objects');
    this.#meta = path.join(root, 'meta');
    this.#tmp = path.join(root, 'tmp');
  }

  static async open(root: string): Promise<FsStore> {
    const store = new FsStore(path.resolve(root));
    for (const dir of [store.#objects, store.#meta, store.#tmp]) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    return store;
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.#objectPath(key));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async getObject(key: string): Promise<StoredObject | undefined> {
    const body = await this.get(key);
    return body === undefined ? undefined : { body, metadata: await this.#readMeta(key) };
  }

  async getStream(key: string): Promise<{ body: Readable; size: number } | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.#objectPath(key), 'r');
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw err;
    }
    // One open file: a rename over it meanwhile does not mix two versions.
    const stat = await handle.stat().catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
    if (!stat.isFile()) {
      // A key that is a prefix of other keys is a folder here, not an object.
      await handle.close();
      return undefined;
    }
    return { body: handle.createReadStream(), size: stat.size };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const file = this.#objectPath(key);
    const stat = await fs.stat(file).catch((err: unknown) => (isMissing(err) ? undefined : Promise.reject(err)));
    if (!stat?.isFile()) return undefined;
    return { key: checkKey(key), size: stat.size, modifiedAt: stat.mtime, metadata: await this.#readMeta(key) };
  }

  async put(key: string, body: Buffer | string, options: PutOptions = {}): Promise<void> {
    await this.#write(key, (temp) => fs.writeFile(temp, body, { mode: 0o600 }), options);
  }

  async putStream(key: string, body: Readable, options: PutStreamOptions = {}): Promise<void> {
    await this.#write(key, async (temp) => {
      await pipeline(body, createWriteStream(temp, { mode: 0o600 }));
      await options.check?.();
    }, options);
  }

  /** Fills a temporary file, then renames it over the object: a failure leaves the old one whole. */
  async #write(key: string, fill: (temp: string) => Promise<void>, options: PutOptions): Promise<void> {
    const file = this.#objectPath(key);
    const temp = path.join(this.#tmp, randomBytes(8).toString('hex'));
    try {
      // Filled first, without awaiting anything before: a stream's early error then has a reader.
      await fill(temp);
      await this.#mkdirFor(file, key);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    const metaFile = this.#metaPath(key);
    if (options.metadata && Object.keys(options.metadata).length) {
      await this.#mkdirFor(metaFile, key);
      const metaTemp = `${temp}.meta`;
      await fs.writeFile(metaTemp, JSON.stringify(options.metadata), { mode: 0o600 });
      await fs.rename(metaTemp, metaFile);
    } else {
      await fs.rm(metaFile, { force: true });
    }
    try {
      await fs.rename(temp, file);
    } catch (err) {
      await fs.rm(temp, { force: true });
      if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new AppError('CONFLICT', `key ${key} is a prefix of other keys in the fs store`);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.#objectPath(key), { force: true });
    await fs.rm(this.#metaPath(key), { force: true });
    await this.#pruneEmptyDirs(key);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const checked = checkPrefix(prefix);
    const dir = checked === '' ? this.#objects : path.join(this.#objects, checked);
    yield* this.#walk(dir, checked);
  }

  async copy(from: string, to: string): Promise<void> {
    // Streamed: copying a large blob (a fork, a template) does not hold it in memory.
    const source = await this.getStream(from);
    if (source === undefined) throw new AppError('NOT_FOUND', `no object ${from} to copy`);
    await this.putStream(to, source.body, { metadata: await this.#readMeta(from) });
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  async *#walk(dir: string, keyPrefix: string): AsyncIterable<ObjectInfo> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw err;
    }
    // Sort by the key each entry stands for, so listings come in key order like S3's.
    const sorted = entries
      .map((entry) => ({ entry, sortKey: entry.isDirectory() ? `${entry.name}/` : entry.name }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    // Files of one folder are stat'ed together; folders are walked in order, so keys stay sorted.
    let batch: Array<{ key: string; full: string }> = [];
    const flush = async function* (): AsyncIterable<ObjectInfo> {
      const stats = await Promise.all(batch.map((f) => fs.stat(f.full).catch(() => undefined)));
      for (let i = 0; i < batch.length; i++) {
        const stat = stats[i];
        // Like S3, no metadata in listings: a read per object would make every listing slow.
        if (stat) yield { key: batch[i]!.key, size: stat.size, modifiedAt: stat.mtime, metadata: {} };
      }
      batch = [];
    };
    for (const { entry } of sorted) {
      const key = `${keyPrefix}${entry.name}`;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        yield* flush();
        yield* this.#walk(full, `${key}/`);
      } else if (entry.isFile()) {
        batch.push({ key, full });
      }
    }
    yield* flush();
  }

  #objectPath(key: string): string {
    return path.join(this.#objects, checkKey(key));
  }

  #metaPath(key: string): string {
    return path.join(this.#meta, `${checkKey(key)}.json`);
  }

  async #readMeta(key: string): Promise<Record<string, string>> {
    try {
      return JSON.parse(await fs.readFile(this.#metaPath(key), 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  async #mkdirFor(file: string, key: string): Promise<void> {
    try {
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
        throw new AppError('CONFLICT', `a parent of key ${key} is itself an object in the fs store`);
      }
      throw err;
    }
  }

  /** Removes directories a delete left empty, up to the store root. */
  async #pruneEmptyDirs(key: string): Promise<void> {
    for (const base of [this.#objects, this.#meta]) {
      let dir = path.dirname(path.join(base, key));
      while (dir.startsWith(base + path.sep)) {
        try {
          await fs.rmdir(dir);
        } catch {
          break;
        }
        dir = path.dirname(dir);
      }
    }
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}
