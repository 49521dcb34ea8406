import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SyncStatus } from '@codeyard/common/agent/protocol';
import { mapLimit } from '@codeyard/common/concurrency';
import { describeError, isAppError } from '@codeyard/common/errors';
import type { ManifestEntry, WorkspaceManifest } from '@codeyard/common/workspace-manifest';
import { IgnoreRules, VOLUME_ROOT_NOISE } from './ignore-rules.js';
import { clearWorkspace, diffCount, diskFull, type LocalFile, type Scan, scanWorkspace, workspaceNames } from './workspace-folder.js';
import type { WorkspaceRemote } from './store-client.js';

export interface SyncOptions {
  workspace: string;
  /** The agent's private folder: local sync state and the restore marker live here. */
  stateDir: string;
  remote: WorkspaceRemote;
  /** Quiet time after the last change before a sync (default 3 s). */
  debounceMs?: number;
  /** Longest a change waits while edits keep coming (default 5 × debounce). */
  maxDelayMs?: number;
  /** Full scans also run this often: watch events can be lost (default 30 s). */
  scanIntervalMs?: number;
  /** Parallel transfers (default 4: the relay takes 4 uploads at once per repl). */
  concurrency?: number;
  /** Tries at reading or restoring before giving up (default: until it works or stop()). */
  maxAttempts?: number;
  log?: (line: string) => void;
}

interface LocalState {
  base: number;
  files: Record<string, LocalFile>;
}

/** Folders watched at most; past that, changes there are found by the periodic scan. */
const MAX_WATCHED_DIRS = 4096;
/** Files at least this big are uploaded one at a time. */
const LARGE_FILE_BYTES = 8 * 1024 * 1024;
const MAX_BACKOFF_MS = 30_000;

/**
 * Keeps a workspace and its copy in the object store the same, from inside the repl.
 *
 * Start: restores the stored version into an empty workspace (parallel downloads), or, when the
 * workspace already holds files from an earlier run that did not finish saving, keeps them and
 * saves them. Running: directory watches plus a periodic full scan find changes; a file is
 * re-read only when its size, mtime, ctime or inode moved, and uploaded only when its content
 * hash is new; the manifest is replaced last, so a sync cut short leaves the previous version
 * whole. Failures mark the status degraded and retry with backoff; nothing local is dropped.
 */
export class SyncEngine extends EventEmitter<{ status: [SyncStatus] }> {
  readonly #o: Required<SyncOptions>;
  readonly #ignore: IgnoreRules;
  #manifest?: WorkspaceManifest;
  #local: LocalState = { base: 0, files: {} };
  #status: SyncStatus = { state: 'starting', pending: 0, version: 0 };
  readonly #changed = new Set<string>();
  readonly #watchers = new Map<string, fs.FSWatcher>();
  #timer?: NodeJS.Timeout;
  #firstChangeAt?: number;
  #interval?: NodeJS.Timeout;
  #chain: Promise<unknown> = Promise.resolve();
  #failures = 0;
  #stopped = false;
  /** Set once prepare() has the workspace whole (restored, kept or empty). */
  #prepared = false;

  constructor(options: SyncOptions) {
    super();
    const debounceMs = options.debounceMs ?? 3000;
    this.#o = {
      ...options,
      debounceMs,
      maxDelayMs: options.maxDelayMs ?? debounceMs * 5,
      scanIntervalMs: options.scanIntervalMs ?? 30_000,
      concurrency: options.concurrency ?? 4,
      maxAttempts: options.maxAttempts ?? Infinity,
      log: options.log ?? (() => undefined),
    };
    this.#ignore = new IgnoreRules(options.workspace);
  }

  get status(): SyncStatus {
    return { ...this.#status, pending: Math.max(this.#status.pending, this.#changed.size) };
  }

  get #stateFile(): string {
    return path.join(this.#o.stateDir, 'sync-state.json');
  }

  get #marker(): string {
    return path.join(this.#o.stateDir, 'restore-incomplete');
  }

  /**
   * Brings the workspace up: restored from the store, or kept when it holds unsaved work.
   * Retries while the store is unreachable (status degraded) until it answers or stop().
   */
  async prepare(): Promise<'restored' | 'kept' | 'empty'> {
    const manifest = await this.#retrying('read the stored workspace', () => this.#o.remote.manifest());
    this.#manifest = manifest;
    const local = await this.#readLocal();
    const incomplete = fs.existsSync(this.#marker);
    const empty = (await workspaceNames(this.#o.workspace)).length === 0;
    if (!incomplete && !empty) {
      // Files left by a run that ended before its last sync: they are newer than the store.
      this.#local = local ?? { base: manifest.version, files: {} };
      if (local && local.base !== manifest.version) this.#o.log(`workspace on disk is based on version ${local.base}, the store has ${manifest.version}: keeping the files on disk`);
      this.#setStatus({ state: 'pending', pending: 0, version: manifest.version });
      this.#prepared = true;
      return 'kept';
    }
    if (incomplete) await clearWorkspace(this.#o.workspace);
    if (Object.keys(manifest.entries).length === 0) {
      this.#local = { base: manifest.version, files: {} };
      await this.#writeLocal();
      this.#setStatus({ state: 'synced', pending: 0, version: manifest.version, lastSyncAt: new Date().toISOString() });
      this.#prepared = true;
      return 'empty';
    }
    await this.#retrying('restore the workspace', () => this.#restore(manifest));
    this.#prepared = true;
    return 'restored';
  }

  /** Starts watching and the periodic scan; syncs once now. */
  start(): void {
    this.#interval = setInterval(() => this.#schedule(0), this.#o.scanIntervalMs);
    this.#interval.unref();
    this.#schedule(0);
  }

  /** Syncs now and waits for it; rejects when the store cannot be reached. */
  flush(): Promise<SyncStatus> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#enqueue(async () => {
      await this.#syncOnce();
      return this.status;
    });
  }

  /** Stops watching and scanning (after the sync in progress, if any). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#interval);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    await this.#chain.catch(() => undefined);
  }

  // ---- scheduling ----

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#chain.catch(() => undefined).then(task);
    this.#chain = next;
    return next;
  }

  #onChange(rel: string): void {
    if (this.#stopped || this.#ignore.ignores(rel, false) || VOLUME_ROOT_NOISE.has(rel)) return;
    this.#changed.add(rel);
    if (this.#status.state === 'synced') this.#setStatus({ ...this.#status, state: 'pending' });
    const now = Date.now();
    this.#firstChangeAt ??= now;
    const wait = Math.max(0, Math.min(this.#o.debounceMs, this.#firstChangeAt + this.#o.maxDelayMs - now));
    this.#schedule(wait);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#enqueue(() => this.#syncOnce()).then(
        () => {
          this.#failures = 0;
        },
        (err: unknown) => {
          this.#failures++;
          const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.#failures - 1));
          this.#o.log(`sync failed (${describeError(err)}); retrying in ${wait / 1000}s`);
          this.#schedule(wait);
        },
      );
    }, delayMs);
    this.#timer.unref();
  }

  #setStatus(status: SyncStatus): void {
    this.#status = status;
    this.emit('status', this.status);
  }

  /** Runs `task` until it succeeds, with backoff, marking the status degraded meanwhile. */
  async #retrying<T>(what: string, task: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await task();
      } catch (caught) {
        const err = diskFull(caught, what);
        if (err !== caught) {
          // Trying again fills the disk again: say so once, for good (the runtime reports it).
          this.#setStatus({ ...this.#status, state: 'degraded', reason: describeError(err), permanent: true });
          throw err;
        }
        if (this.#stopped || attempt >= this.#o.maxAttempts || (isAppError(err) && err.status < 500 && err.code !== 'CONFLICT')) throw err;
        const reason = `could not ${what}: ${describeError(err)}`;
        this.#setStatus({ ...this.#status, state: 'degraded', reason });
        const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempt - 1));
        this.#o.log(`${reason}; retrying in ${wait / 1000}s`);
        await sleep(wait);
      }
    }
  }

  // ---- one sync ----

  async #syncOnce(): Promise<void> {
    // Never before the restore finished: a half-restored folder saved would drop the rest.
    if (!this.#manifest || !this.#prepared) throw new Error('the workspace is not restored yet; there is nothing to save');
    this.#firstChangeAt = undefined;
    const seen = new Set(this.#changed);
    const previous = this.#status;
    try {
      const scan = await this.#scan();
      this.#watch(scan.dirs);
      const base = this.#manifest;
      // Files that changed while read keep their stored version until they hold still.
      for (const rel of scan.unstable) {
        const old = base.entries[rel];
        if (old) scan.entries[rel] = old;
      }
      const changes = diffCount(base.entries, scan.entries);
      if (changes === 0 && scan.unstable.size === 0) {
        for (const rel of seen) this.#changed.delete(rel);
        await this.#saveLocal(base.version, scan);
        this.#setStatus({ state: 'synced', pending: 0, version: base.version, lastSyncAt: new Date().toISOString(), ...(scan.skipped.length ? { skipped: scan.skipped } : {}) });
        return;
      }
      // A retry while degraded stays degraded (with its reason) until it works.
      this.#setStatus(previous.state === 'degraded' ? { ...previous, pending: changes } : { ...previous, state: 'syncing', pending: changes, reason: undefined });
      const stored = new Set(Object.values(base.entries).flatMap((e) => (e.type === 'file' ? [e.hash] : [])));
      const uploads = new Map<string, { rel: string; size: number }>();
      for (const [rel, entry] of Object.entries(scan.entries)) {
        if (entry.type === 'file' && !stored.has(entry.hash) && !uploads.has(entry.hash)) uploads.set(entry.hash, { rel, size: entry.size });
      }
      // Small files go up in parallel, large ones one at a time (each streams for a while).
      const all = [...uploads];
      const small = all.filter(([, u]) => u.size < LARGE_FILE_BYTES);
      const large = all.filter(([, u]) => u.size >= LARGE_FILE_BYTES);
      const send = async ([hash, { rel, size }]: [string, { rel: string; size: number }]): Promise<void> => {
        try {
          await this.#o.remote.upload(hash, path.join(this.#o.workspace, rel), size);
        } catch (err) {
          // Changed between hashing and upload (the relay checks): keep the stored version for now.
          if (!(isAppError(err) && err.code === 'CONFLICT')) throw err;
          scan.unstable.add(rel);
          for (const [other, entry] of Object.entries(scan.entries)) {
            if (entry.type === 'file' && entry.hash === hash) {
              const old = base.entries[other];
              if (old) scan.entries[other] = old;
              else delete scan.entries[other];
              scan.unstable.add(other);
            }
          }
        }
      };
      await mapLimit(small, this.#o.concurrency, send);
      await mapLimit(large, 1, send);
      const next: WorkspaceManifest = { format: 1, version: base.version + 1, savedAt: new Date().toISOString(), entries: scan.entries };
      let version: number;
      try {
        version = await this.#o.remote.commit(next, base.version);
      } catch (err) {
        if (isAppError(err) && err.code === 'STALE_VERSION') {
          // Someone else wrote the store since (a second agent of this repl, the portal): the
          // files here win; build on the newest version next time.
          this.#manifest = await this.#o.remote.manifest();
        }
        throw err;
      }
      this.#manifest = { ...next, version };
      for (const rel of seen) if (!scan.unstable.has(rel)) this.#changed.delete(rel);
      for (const rel of scan.unstable) delete scan.files[rel];
      await this.#saveLocal(version, scan);
      const unstable = scan.unstable.size;
      this.#setStatus({ state: unstable ? 'pending' : 'synced', pending: unstable, version, lastSyncAt: new Date().toISOString(), ...(scan.skipped.length ? { skipped: scan.skipped } : {}) });
      if (unstable) this.#schedule(this.#o.debounceMs);
    } catch (err) {
      this.#setStatus({ ...this.#status, state: 'degraded', reason: describeError(err) });
      throw err;
    }
  }

  /** Records what was synced; a scan that found every file as it was writes nothing. */
  async #saveLocal(base: number, scan: Scan): Promise<void> {
    const before = this.#local;
    this.#local = { base, files: scan.files };
    const keys = Object.keys(scan.files);
    // Unchanged files keep the very object the last scan recorded.
    const same = before.base === base && keys.length === Object.keys(before.files).length && keys.every((k) => before.files[k] === scan.files[k]);
    if (!same) await this.#writeLocal();
  }

  /**
   * Walks the workspace without following links: what is there now, with content hashes
   * re-computed only for files whose stat moved since they were last hashed.
   */
  async #scan(): Promise<Scan> {
    return scanWorkspace(this.#o.workspace, this.#ignore, this.#local.files);
  }

  // ---- watching ----

  #watch(dirs: readonly string[]): void {
    if (this.#stopped) return;
    const wanted = new Set(dirs.slice(0, MAX_WATCHED_DIRS));
    for (const [rel, watcher] of this.#watchers) {
      if (!wanted.has(rel)) {
        watcher.close();
        this.#watchers.delete(rel);
      }
    }
    for (const rel of wanted) {
      if (this.#watchers.has(rel)) continue;
      try {
        const watcher = fs.watch(path.join(this.#o.workspace, rel), { persistent: false }, (_event, name) => {
          this.#onChange(name ? (rel ? `${rel}/${name}` : String(name)) : rel || '.');
        });
        watcher.on('error', () => {
          watcher.close();
          this.#watchers.delete(rel);
        });
        this.#watchers.set(rel, watcher);
      } catch {
        // Out of inotify watches, or the folder went away: the periodic scan still covers it.
      }
    }
  }

  // ---- restore ----

  async #restore(manifest: WorkspaceManifest): Promise<void> {
    await fsp.writeFile(this.#marker, String(manifest.version));
    await clearWorkspace(this.#o.workspace);
    const entries = Object.entries(manifest.entries).sort(([a], [b]) => (a < b ? -1 : 1));
    const files = entries.filter(([, e]) => e.type === 'file') as Array<[string, Extract<ManifestEntry, { type: 'file' }>]>;
    let done = 0;
    const progress = (): void => this.#setStatus({ state: 'restoring', pending: 0, version: manifest.version, restore: { done, total: files.length } });
    progress();
    // Folders first, then files, then links: nothing is ever written through a restored link.
    for (const [rel, entry] of entries) if (entry.type === 'dir') await fsp.mkdir(path.join(this.#o.workspace, rel), { recursive: true });
    const local: Record<string, LocalFile> = {};
    let lastReport = 0;
    await mapLimit(files, this.#o.concurrency, async ([rel, entry]) => {
      const full = path.join(this.#o.workspace, rel);
      await fsp.mkdir(path.dirname(full), { recursive: true });
      await this.#o.remote.download(entry.hash, full, entry.executable ? 0o755 : 0o644);
      await fsp.chmod(full, entry.executable ? 0o755 : 0o644);
      if (entry.mtimeMs !== undefined) await fsp.utimes(full, new Date(entry.mtimeMs), new Date(entry.mtimeMs));
      const stat = await fsp.lstat(full);
      local[rel] = { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, hash: entry.hash };
      done++;
      if (Date.now() - lastReport > 200) {
        lastReport = Date.now();
        progress();
      }
    });
    for (const [rel, entry] of entries) {
      if (entry.type !== 'link') continue;
      await fsp.mkdir(path.dirname(path.join(this.#o.workspace, rel)), { recursive: true });
      await fsp.symlink(entry.target, path.join(this.#o.workspace, rel));
    }
    this.#local = { base: manifest.version, files: local };
    await this.#writeLocal();
    await fsp.rm(this.#marker, { force: true });
    this.#setStatus({ state: 'synced', pending: 0, version: manifest.version, lastSyncAt: new Date().toISOString() });
    this.#o.log(`restored ${files.length} files (version ${manifest.version})`);
  }

  async #readLocal(): Promise<LocalState | undefined> {
    try {
      const state = JSON.parse(await fsp.readFile(this.#stateFile, 'utf8')) as LocalState;
      return Number.isSafeInteger(state.base) && typeof state.files === 'object' && state.files !== null ? state : undefined;
    } catch {
      return undefined;
    }
  }

  async #writeLocal(): Promise<void> {
    const tmp = `${this.#stateFile}.tmp`;
    await fsp.writeFile(tmp, JSON.stringify(this.#local));
    await fsp.rename(tmp, this.#stateFile);
  }
}
