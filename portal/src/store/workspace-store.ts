import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import type { FileEntry } from '@codeyard/common/agent/protocol';
import { KeyedQueue, mapLimit } from '@codeyard/common/concurrency';
import { AppError } from '@codeyard/common/errors';
import { checkRelativePath } from '@codeyard/common/paths';
import {
  blobKey,
  blobPrefix,
  EMPTY_MANIFEST,
  HASH_PATTERN,
  manifestBytes,
  manifestHashes,
  manifestKey,
  parseWorkspaceManifest,
  type ManifestEntry,
  type WorkspaceManifest,
} from '@codeyard/common/workspace-manifest';
import type { ArchiveEntry } from '../archive/archive.js';
import { BlobLedger } from './blob-ledger.js';
import type { ObjectStore } from './object-store.js';

/** A file, folder or link of a workspace, with the content of files (archives, imports). */
export type WorkspaceItem = ArchiveEntry;

export function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

export interface WorkspaceStoreOptions {
  /**
   * How long a blob no manifest names is kept before it may be collected: a writer uploads
   * blobs first and commits the manifest naming them after, possibly minutes later.
   */
  blobGraceMs?: number;
}

/** Default grace for unreferenced blobs (longer than any upload-then-commit of one sync). */
export const BLOB_GRACE_MS = 15 * 60_000;

/**
 * Workspaces in the object store as manifest + content-addressed blobs (the layout is described
 * in common/src/workspace-manifest.ts). Every method takes a store prefix (`workspaces/<id>/`,
 * or a template's), so the same code serves repls, templates, forks and imports. Writes to one
 * prefix are serialized inside this process.
 */
export class WorkspaceStore {
  readonly #store: ObjectStore;
  readonly #locks = new KeyedQueue();
  readonly #ledger: BlobLedger;

  constructor(store: ObjectStore, options: WorkspaceStoreOptions = {}) {
    this.#store = store;
    this.#ledger = new BlobLedger(options.blobGraceMs ?? BLOB_GRACE_MS);
  }

  get objects(): ObjectStore {
    return this.#store;
  }

  /** The current manifest; an empty one (version 0) when nothing was ever saved. */
  async manifest(prefix: string): Promise<WorkspaceManifest> {
    const body = await this.#store.get(manifestKey(prefix));
    if (!body) return EMPTY_MANIFEST;
    let raw: unknown;
    try {
      raw = JSON.parse(body.toString('utf8'));
    } catch {
      throw new AppError('INTERNAL', `the stored manifest ${manifestKey(prefix)} is not valid JSON`);
    }
    return parseWorkspaceManifest(raw, manifestKey(prefix));
  }

  /** Stores one file's content under its hash; refuses content that does not hash to `hash`. */
  async putBlob(prefix: string, hash: string, body: Buffer): Promise<void> {
    const key = blobKey(prefix, hash);
    const actual = sha256(body);
    if (actual !== hash) throw mismatch(actual, hash);
    await this.#store.put(key, body, { metadata: { sha256: hash } });
  }

  /**
   * Streams an upload of exactly `size` bytes into blob `hash` with bounded memory, hashing it
   * on the way: content that does not hash to its name is never stored. Until a manifest names
   * it, the blob counts against `quotaBytes` (with every other upload waiting for a manifest),
   * so a repl cannot fill the store with content its workspace never holds.
   */
  async uploadBlob(prefix: string, hash: string, body: Readable, size: number, quotaBytes: number): Promise<void> {
    const key = blobKey(prefix, hash);
    if (size > quotaBytes) throw new AppError('QUOTA_EXCEEDED', `the file is ${mb(size)} MB, over the workspace's ${mb(quotaBytes)} MB quota`);
    let release: () => void;
    try {
      release = this.#ledger.reserve(prefix, hash, size, quotaBytes);
    } catch (err) {
      // Waiting uploads past their grace period go first (their commit may never come: say it
      // was refused over the quota), then the upload may fit.
      if (!(err instanceof AppError && err.code === 'QUOTA_EXCEEDED') || !(await this.#collectExpired(prefix))) throw err;
      release = this.#ledger.reserve(prefix, hash, size, quotaBytes);
    }
    try {
      const digest = createHash('sha256');
      let seen = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          seen += chunk.length;
          if (seen > size) return callback(new AppError('VALIDATION', `the upload is longer than the ${size} bytes it declared`));
          digest.update(chunk);
          callback(null, chunk);
        },
      });
      body.on('error', (err) => counted.destroy(err)).pipe(counted);
      await this.#store.putStream(key, counted, {
        metadata: { sha256: hash },
        check: () => {
          if (seen !== size) throw new AppError('CONFLICT', `the upload ended after ${seen} of the ${size} bytes it declared (the file changed while it was sent?)`);
          const actual = digest.digest('hex');
          if (actual !== hash) throw mismatch(actual, hash);
        },
      });
      this.#ledger.stored(prefix, hash, size);
    } finally {
      release();
    }
  }

  getBlob(prefix: string, hash: string): Promise<Buffer | undefined> {
    return this.#store.get(blobKey(prefix, hash));
  }

  /**
   * Replaces the manifest if its version is still `base`: every blob it names must be stored,
   * and its files must fit in `quotaBytes`. Blobs neither version names are removed after,
   * except uploads still in flight or within their grace period.
   */
  commit(prefix: string, next: WorkspaceManifest, base: number, quotaBytes: number): Promise<number> {
    return this.#locked(prefix, async () => {
      const manifest = parseWorkspaceManifest(next, 'manifest');
      const current = await this.manifest(prefix);
      if (current.version !== base) throw new AppError('STALE_VERSION', `the workspace is at version ${current.version}, not ${base}; read it again`);
      const bytes = manifestBytes(manifest);
      if (bytes > quotaBytes) throw new AppError('QUOTA_EXCEEDED', `the workspace holds ${mb(bytes)} MB, over its ${mb(quotaBytes)} MB quota; delete something`);
      const known = manifestHashes(current);
      const added = [...manifestHashes(manifest)].filter((h) => !known.has(h));
      await mapLimit(added, 16, async (hash) => {
        if (!(await this.#store.head(blobKey(prefix, hash)))) throw new AppError('CONFLICT', `the manifest names content ${hash}, which was never uploaded`);
      });
      const version = current.version + 1;
      await this.#store.put(manifestKey(prefix), JSON.stringify({ ...manifest, version, savedAt: new Date().toISOString() }));
      await this.#collect(prefix, current, manifest);
      return version;
    });
  }

  /**
   * Removes the blobs of `prefix` no manifest names, except those being uploaded or younger than
   * the grace period (by default); run when a relay opens and closes. Young ones found here
   * start counting against the quota. Answers how many were removed.
   */
  gc(prefix: string, graceMs = this.#ledger.graceMs): Promise<number> {
    return this.#locked(prefix, async () => {
      const kept = manifestHashes(await this.manifest(prefix));
      const stale: string[] = [];
      for await (const info of this.#store.list(blobPrefix(prefix))) {
        const hash = info.key.slice(blobPrefix(prefix).length);
        if (kept.has(hash) || !HASH_PATTERN.test(hash)) continue;
        if (this.#ledger.isProtected(prefix, hash, info.modifiedAt, graceMs)) this.#ledger.stored(prefix, hash, info.size, info.modifiedAt.getTime());
        else stale.push(hash);
      }
      await this.#remove(prefix, stale);
      return stale.length;
    });
  }

  /**
   * After a new manifest: removes what the old one named and the new one does not, and uploads
   * nobody named, unless still protected (in flight or young: its own commit may be next).
   */
  async #collect(prefix: string, previous: WorkspaceManifest, next: WorkspaceManifest): Promise<void> {
    const kept = manifestHashes(next);
    this.#ledger.referenced(prefix, kept);
    const candidates = new Set([...manifestHashes(previous), ...this.#ledger.waiting(prefix)]);
    const stale = [...candidates].filter((hash) => !kept.has(hash) && !this.#ledger.isProtected(prefix, hash));
    // Best effort: a blob left behind costs space, never correctness (gc() finds it later).
    await this.#remove(prefix, stale).catch(() => undefined);
  }

  /** Removes waiting uploads past their grace period that no manifest names; answers whether any went. */
  #collectExpired(prefix: string): Promise<boolean> {
    return this.#locked(prefix, async () => {
      const kept = manifestHashes(await this.manifest(prefix));
      const stale = this.#ledger.waiting(prefix).filter((hash) => !kept.has(hash) && !this.#ledger.isProtected(prefix, hash));
      await this.#remove(prefix, stale);
      return stale.length > 0;
    });
  }

  async #remove(prefix: string, hashes: string[]): Promise<void> {
    await mapLimit(hashes, 8, async (hash) => {
      await this.#store.delete(blobKey(prefix, hash));
      this.#ledger.forget(prefix, hash);
    });
  }

  /** Makes `to` a copy of `from` (templates into new repls, forks), server-side. */
  async copy(from: string, to: string): Promise<WorkspaceManifest> {
    const source = await this.manifest(from);
    await mapLimit([...manifestHashes(source)], 8, (hash) => this.#store.copy(blobKey(from, hash), blobKey(to, hash)));
    const copy: WorkspaceManifest = { ...source, version: 1, savedAt: new Date().toISOString() };
    await this.#store.put(manifestKey(to), JSON.stringify(copy));
    return copy;
  }

  /**
   * Replaces the workspace at `to` with a copy of `from` as its next version (a class's student
   * reset to the starter): blobs first, then the manifest as a commit on the current version, so
   * a restore sees a newer version and what only the old one named is collected.
   */
  async replaceWith(from: string, to: string, quotaBytes: number): Promise<number> {
    const source = await this.manifest(from);
    await mapLimit([...manifestHashes(source)], 8, (hash) => this.#store.copy(blobKey(from, hash), blobKey(to, hash)));
    return this.commit(to, source, (await this.manifest(to)).version, quotaBytes);
  }

  /**
   * Writes a whole new workspace from items (an import, a template): blobs first, manifest last.
   * Items with a `hash` instead of a body name blobs already stored under `prefix`.
   */
  async create(prefix: string, items: Iterable<WorkspaceItem>, quotaBytes: number): Promise<WorkspaceManifest> {
    const entries: Record<string, ManifestEntry> = {};
    const blobs = new Map<string, Buffer>();
    for (const item of items) {
      const rel = checkRelativePath(item.path);
      if (item.type === 'dir') entries[rel] = { type: 'dir' };
      else if (item.type === 'link') entries[rel] = { type: 'link', target: item.target ?? '' };
      else if (item.hash !== undefined) {
        // Already stored under this prefix while it was unpacked (see archive-import.ts).
        entries[rel] = { type: 'file', size: item.size ?? 0, hash: item.hash, ...(item.executable ? { executable: true } : {}), ...(item.mtimeMs !== undefined ? { mtimeMs: Math.floor(item.mtimeMs) } : {}) };
      } else {
        const body = item.body ?? Buffer.alloc(0);
        const hash = sha256(body);
        blobs.set(hash, body);
        entries[rel] = { type: 'file', size: body.length, hash, ...(item.executable ? { executable: true } : {}), ...(item.mtimeMs !== undefined ? { mtimeMs: Math.floor(item.mtimeMs) } : {}) };
      }
    }
    const manifest = parseWorkspaceManifest({ format: 1, version: 1, savedAt: new Date().toISOString(), entries }, 'workspace');
    const bytes = manifestBytes(manifest);
    if (bytes > quotaBytes) throw new AppError('QUOTA_EXCEEDED', `the files hold ${mb(bytes)} MB, over the ${mb(quotaBytes)} MB workspace quota`);
    await mapLimit([...blobs], 8, ([hash, body]) => this.#store.put(blobKey(prefix, hash), body, { metadata: { sha256: hash } }));
    await this.#store.put(manifestKey(prefix), JSON.stringify(manifest));
    return manifest;
  }

  /** Every item of the stored workspace, files with their content, in path order. */
  async *items(prefix: string): AsyncIterable<WorkspaceItem> {
    const manifest = await this.manifest(prefix);
    for (const [rel, entry] of Object.entries(manifest.entries).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (entry.type === 'dir') yield { path: rel, type: 'dir' };
      else if (entry.type === 'link') yield { path: rel, type: 'link', target: entry.target };
      else {
        const body = await this.getBlob(prefix, entry.hash);
        if (!body) throw new AppError('UNAVAILABLE', `the stored content of ${rel} is missing; try again (a sync may have just replaced it)`);
        yield { path: rel, type: 'file', body, executable: entry.executable, mtimeMs: entry.mtimeMs };
      }
    }
  }

  // ---- single files, for a stopped repl's files API ----

  async readFile(prefix: string, file: string): Promise<Buffer> {
    const rel = checkRelativePath(file, 'path');
    const entry = (await this.manifest(prefix)).entries[rel];
    if (!entry) throw new AppError('NOT_FOUND', `no file ${rel}`);
    if (entry.type === 'dir') throw new AppError('BAD_REQUEST', `${rel} is a directory; list it with ?dir=`);
    if (entry.type === 'link') throw new AppError('BAD_REQUEST', `${rel} is a symbolic link (to ${entry.target}); start the repl to follow it`);
    const body = await this.getBlob(prefix, entry.hash);
    if (!body) throw new AppError('UNAVAILABLE', `the stored content of ${rel} is missing`);
    return body;
  }

  writeFile(prefix: string, file: string, body: Buffer, quotaBytes: number): Promise<{ created: boolean }> {
    const rel = checkRelativePath(file, 'path');
    return this.#edit(prefix, quotaBytes, async (entries) => {
      const existing = entries[rel];
      if (existing?.type === 'dir') throw new AppError('CONFLICT', `${rel} is a directory`);
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join('/');
        const entry = entries[parent];
        if (entry && entry.type !== 'dir') throw new AppError('CONFLICT', `${parent} is a ${entry.type}, not a directory`);
        entries[parent] = { type: 'dir' };
      }
      const hash = sha256(body);
      await this.putBlob(prefix, hash, body);
      entries[rel] = { type: 'file', size: body.length, hash, mtimeMs: Date.now(), ...(existing?.type === 'file' && existing.executable ? { executable: true } : {}) };
      return { created: !existing };
    });
  }

  deleteFile(prefix: string, file: string): Promise<void> {
    const rel = checkRelativePath(file, 'path');
    return this.#edit(prefix, Infinity, async (entries) => {
      if (!entries[rel]) throw new AppError('NOT_FOUND', `no file or directory ${rel}`);
      for (const key of Object.keys(entries)) if (key === rel || key.startsWith(`${rel}/`)) delete entries[key];
    });
  }

  async listDir(prefix: string, dir: string): Promise<FileEntry[]> {
    const rel = checkRelativePath(dir, 'dir', true);
    const manifest = await this.manifest(prefix);
    if (rel && manifest.entries[rel]?.type !== 'dir') {
      const implied = Object.keys(manifest.entries).some((k) => k.startsWith(`${rel}/`));
      if (!implied) throw new AppError(manifest.entries[rel] ? 'BAD_REQUEST' : 'NOT_FOUND', manifest.entries[rel] ? `${rel} is not a directory` : `no directory ${rel}`);
    }
    const base = rel ? `${rel}/` : '';
    const modifiedAt = manifest.savedAt;
    const out = new Map<string, FileEntry>();
    for (const [key, entry] of Object.entries(manifest.entries)) {
      if (!key.startsWith(base)) continue;
      const rest = key.slice(base.length);
      const slash = rest.indexOf('/');
      const name = slash === -1 ? rest : rest.slice(0, slash);
      if (slash !== -1 || entry.type === 'dir') {
        if (!out.has(name)) out.set(name, { name, type: 'directory', size: 0, modifiedAt });
      } else if (entry.type === 'link') out.set(name, { name, type: 'symlink', size: 0, modifiedAt });
      else out.set(name, { name, type: 'file', size: entry.size, modifiedAt: entry.mtimeMs ? new Date(entry.mtimeMs).toISOString() : modifiedAt });
    }
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A read-modify-write of the manifest, as one new version. */
  #edit<T>(prefix: string, quotaBytes: number, change: (entries: Record<string, ManifestEntry>) => Promise<T>): Promise<T> {
    return this.#locked(prefix, async () => {
      const current = await this.manifest(prefix);
      const entries = { ...current.entries };
      const result = await change(entries);
      const next = parseWorkspaceManifest({ format: 1, version: current.version + 1, savedAt: new Date().toISOString(), entries }, 'manifest');
      const bytes = manifestBytes(next);
      if (bytes > quotaBytes && bytes > manifestBytes(current)) {
        const known = manifestHashes(current);
        const added = [...manifestHashes(next)].filter((h) => !known.has(h));
        await mapLimit(added, 8, (hash) => this.#store.delete(blobKey(prefix, hash))).catch(() => undefined);
        throw new AppError('QUOTA_EXCEEDED', `the workspace would hold ${mb(bytes)} MB, over its ${mb(quotaBytes)} MB quota; delete something first`);
      }
      await this.#store.put(manifestKey(prefix), JSON.stringify(next));
      await this.#collect(prefix, current, next);
      return result;
    });
  }

  #locked<T>(prefix: string, task: () => Promise<T>): Promise<T> {
    return this.#locks.run(prefix, task);
  }

}

function mismatch(actual: string, hash: string): AppError {
  return new AppError('CONFLICT', `content hashes to ${actual}, not ${hash} (the file changed while it was sent?)`);
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
