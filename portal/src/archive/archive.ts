import { PassThrough, Readable, Transform, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { AppError, describeError } from '@codeyard/common/errors';
import { checkRelativePath } from '@codeyard/common/paths';

export type ArchiveFormat = 'tar.gz' | 'zip';

/** One file, folder or symlink of a workspace, as it goes into or comes out of an archive. */
export interface ArchiveEntry {
  /** Workspace-relative, forward slashes, no trailing slash. */
  path: string;
  type: 'file' | 'dir' | 'link';
  /** Files: the exec bit. */
  executable?: boolean;
  /** Files: the content (in memory), or: */
  body?: Buffer;
  /** Files: the content as a blob already stored by a {@link BodySink} (large imports), with its size. */
  hash?: string;
  size?: number;
  /** Links: the symlink target as stored; readArchive() lets through only relative ones that stay inside. */
  target?: string;
  mtimeMs?: number;
}

/** What one import may hold. Byte limits count real decompressed bytes, never declared sizes. */
export interface ArchiveLimits {
  maxEntries: number;
  maxTotalBytes: number;
  maxFileBytes: number;
}

/**
 * Where readArchive() sends file bodies as they inflate, when given one: it stores them and
 * answers their hash and size, so an import never holds a file, or the archive's unpacked
 * total, in memory. The chunks are counted against the limits as they come (a bomb fails there).
 */
export type BodySink = (chunks: AsyncIterable<Buffer>) => Promise<{ hash: string; size: number }>;

/** Tar headers, padding and pax records allowed per entry, beyond file bodies; plus slack for stream buffers. */
const TAR_OVERHEAD_PER_ENTRY = 8192;
const TAR_OVERHEAD_SLACK = 1024 * 1024;
/** Longest zip symlink target we read (the target is the entry's content there). */
const MAX_LINK_TARGET_BYTES = 4096;
/** Symlinks followed while resolving one target, as the kernel's ELOOP limit. */
const MAX_LINK_HOPS = 40;
/** Unix file-type bits, as zip keeps them in the high half of the external attributes. */
const [S_IFMT, S_IFREG, S_IFDIR, S_IFLNK] = [0o170000, 0o100000, 0o040000, 0o120000];
const ABSOLUTE = /^([a-zA-Z]:|[/\\])/;

/** What the container says an entry is, before any checks. */
type Kind = 'file' | 'dir' | 'link' | 'hardlink' | 'special';
/** An entry with the name it had in the archive, for error messages. */
type Item = ArchiveEntry & { name: string };
/** A body a sink stored. */
type Stored = { hash: string; size: number };

const TAR_KINDS: Partial<Record<string, Kind>> = {
  file: 'file', 'contiguous-file': 'file', directory: 'dir', symlink: 'link', link: 'hardlink',
};

/** Recognises an archive by its magic bytes: gzip (taken as tar.gz) or zip (empty zips too). */
export function detectArchiveFormat(data: Buffer): ArchiveFormat | undefined {
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) return 'tar.gz';
  if (data.length >= 4 && [0x504b0304, 0x504b0506].includes(data.readUInt32BE(0))) return 'zip';
  return undefined;
}

/**
 * Unpacks an uploaded archive into memory, refusing anything unsafe (`UNSAFE_ARCHIVE`: `..`,
 * absolute paths, links leaving the root, hard links, devices, conflicting duplicates), too big
 * (`ARCHIVE_TOO_LARGE`: counted while inflating, so bombs stop early) or broken (`INVALID_ARCHIVE`).
 * Skips macOS junk and strips a single top-level folder (GitHub's "Download ZIP").
 */
export async function readArchive(data: Buffer, format: ArchiveFormat, limits: ArchiveLimits, sink?: BodySink): Promise<ArchiveEntry[]> {
  const found = detectArchiveFormat(data);
  if (found !== format) {
    const seen = found ? `it looks like ${found}` : 'its first bytes match no supported format';
    throw new AppError('INVALID_ARCHIVE', `the upload is not a ${format} archive (${seen}); upload a .tar.gz or .zip file`);
  }
  const walk = new Walk(limits, sink);
  await (format === 'zip' ? readZip(data, walk) : readTarGz(data, walk));
  return walk.finish();
}

/** The state of one readArchive() call: what was read so far, and the checks every entry goes through. */
class Walk {
  readonly items: Item[] = [];
  count = 0;
  total = 0;
  /** The entry being read, for error messages. */
  current = '';

  constructor(readonly limits: ArchiveLimits, readonly sink?: BodySink) {}

  /** Counts and checks one header; answers the entry's workspace path, or undefined to skip it. */
  enter(name: string, kind: Kind): string | undefined {
    this.current = name;
    if (++this.count > this.limits.maxEntries) {
      throw tooLarge(name, `is entry ${this.count}, over the limit of ${this.limits.maxEntries} entries`);
    }
    if (kind === 'hardlink') throw unsafe(name, 'is a hard link', 'archive the file itself instead');
    if (kind === 'special') throw unsafe(name, 'is a device, fifo or other special file', 'leave it out of the archive');
    return entryPath(name);
  }

  /** Passes one body on, counting real bytes; stops as soon as a limit is passed. */
  async *counted(name: string, chunks: AsyncIterable<Buffer>, max: number): AsyncIterable<Buffer> {
    let size = 0;
    for await (const chunk of chunks) {
      size += chunk.length;
      this.total += chunk.length;
      if (size > max) throw tooLarge(name, `is larger than ${max} bytes`);
      if (this.total > this.limits.maxTotalBytes) {
        throw tooLarge(name, `takes the archive over ${this.limits.maxTotalBytes} bytes unpacked`);
      }
      yield chunk;
    }
  }

  /** Reads one body into memory (links, and files when there is no sink). */
  async read(name: string, chunks: AsyncIterable<Buffer>, max = this.limits.maxFileBytes): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.counted(name, chunks, max)) {
      size += chunk.length;
      parts.push(chunk);
    }
    return Buffer.concat(parts, size);
  }

  /** One entry's content: a file goes to the sink when there is one (skipped junk only counted). */
  async content(name: string, path: string | undefined, kind: Kind, chunks: AsyncIterable<Buffer>, max = this.limits.maxFileBytes): Promise<Buffer | Stored> {
    if (kind !== 'file' || !this.sink) return this.read(name, chunks, max);
    if (path === undefined) {
      for await (const _ of this.counted(name, chunks, max));
      return Buffer.alloc(0);
    }
    return this.sink(this.counted(name, chunks, max));
  }

  /** Keeps one entry that enter() let through (so `kind` is a file, dir or link); skips junk. */
  add(name: string, path: string | undefined, kind: Kind, mode: number, mtimeMs: number, content: Buffer | Stored): void {
    if (path === undefined) return;
    const item: Item = { name, path, type: kind as ArchiveEntry['type'], mtimeMs };
    const body = Buffer.isBuffer(content) ? content : undefined;
    if (kind === 'file') Object.assign(item, { executable: (mode & 0o111) !== 0 }, body ? { body } : content);
    if (kind === 'link') item.target = body?.toString('utf8') ?? '';
    this.items.push(item);
  }

  /** Strips a single top-level folder, merges duplicates and checks conflicts and link targets. */
  finish(): ArchiveEntry[] {
    const byPath = new Map<string, Item>();
    for (const item of stripTopFolder(this.items)) {
      const prev = byPath.get(item.path);
      if (prev && prev.type !== item.type) {
        throw unsafe(item.name, `is both a ${prev.type} and a ${item.type}`, 'keep only one of them');
      }
      if (prev?.type !== 'dir') byPath.set(item.path, item); // the last file or link wins, as tar does
    }
    const links = new Map<string, string>();
    for (const item of byPath.values()) {
      if (item.type === 'link') links.set(item.path, item.target ?? '');
      const segments = item.path.split('/');
      for (let i = 1; i < segments.length; i++) {
        const parent = byPath.get(segments.slice(0, i).join('/'));
        if (parent && parent.type !== 'dir') {
          throw unsafe(item.name, `lies under ${JSON.stringify(parent.name)}, which is a ${parent.type}`, 'keep only one of them');
        }
      }
    }
    for (const item of byPath.values()) {
      if (item.type === 'link') checkLink(item, links);
    }
    return [...byPath.values()].map(({ name: _name, ...entry }) => entry);
  }
}

/** Normalises and checks an entry name; undefined for the root itself and for macOS junk. */
function entryPath(name: string): string | undefined {
  let path = name;
  while (path.startsWith('./')) path = path.slice(2);
  if (path === '' || path === '.') return undefined;
  if (ABSOLUTE.test(path)) throw unsafe(name, 'is an absolute path', 're-create the archive from inside the project folder');
  if (path.split(/[/\\]/).includes('..')) throw unsafe(name, 'has a ".." segment', 're-create the archive from inside the project folder');
  const segments = path.replace(/\/$/, '').split('/');
  if (segments[0] === '__MACOSX' || segments[segments.length - 1].startsWith('._')) return undefined;
  try {
    return checkRelativePath(path, `archive entry ${JSON.stringify(name)}`);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    throw new AppError('UNSAFE_ARCHIVE', `${err.message}; rename it and re-create the archive`, undefined, { cause: err });
  }
}

/** When every entry lives under one folder (`repo-main/...`), drops that folder. */
function stripTopFolder(items: Item[]): Item[] {
  const top = items[0]?.path.split('/')[0];
  if (top === undefined || !items.some((item) => item.path !== top)) return items;
  const under = (item: Item) => (item.path === top ? item.type === 'dir' : item.path.startsWith(`${top}/`));
  if (!items.every(under)) return items;
  return items.filter((item) => item.path !== top).map((item) => ({ ...item, path: item.path.slice(top.length + 1) }));
}

/** Refuses a symlink unless its target, resolved from the link's folder the way the kernel would, stays inside. */
function checkLink(item: Item, links: Map<string, string>): void {
  const target = item.target ?? '';
  const fix = 'replace the link with the file it points to, or leave it out';
  if (target === '' || ABSOLUTE.test(target) || target.includes('\\')) {
    throw unsafe(item.name, `is a symlink to an absolute or empty path (${JSON.stringify(target)})`, fix);
  }
  let hops = 0;
  /** Walks `via` from folder `from`, following links met on the way; undefined once it leaves the root. */
  const resolve = (from: string[], via: string): string[] | undefined => {
    if (++hops > MAX_LINK_HOPS) throw unsafe(item.name, 'is part of a symlink loop', fix);
    const at = [...from];
    const parts = via.split('/').filter((part) => part !== '' && part !== '.');
    for (const [i, part] of parts.entries()) {
      if (part === '..') {
        if (at.pop() === undefined) return undefined;
        continue;
      }
      at.push(part);
      const next = links.get(at.join('/'));
      if (next === undefined || i === parts.length - 1) continue;
      if (ABSOLUTE.test(next)) return undefined;
      const inner = resolve(at.slice(0, -1), next);
      if (inner === undefined) return undefined;
      at.splice(0, at.length, ...inner);
    }
    return at;
  };
  if (resolve(item.path.split('/').slice(0, -1), target) === undefined) {
    throw unsafe(item.name, `is a symlink pointing outside the project (${JSON.stringify(target)})`, fix);
  }
}

async function readTarGz(data: Buffer, walk: Walk): Promise<void> {
  const gunzip = zlib.createGunzip();
  const extract = tar.extract();
  // tar-stream merges pax global headers into later entries' pax records; we ignore them instead.
  Object.defineProperty(extract, '_paxGlobal', { get: () => null, set: () => {} });
  let raw = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      raw += chunk.length;
      const allowed = walk.total + (walk.count + 1) * TAR_OVERHEAD_PER_ENTRY + TAR_OVERHEAD_SLACK;
      if (raw <= allowed) return callback(null, chunk);
      const where = walk.current ? `after entry ${JSON.stringify(walk.current)}` : 'before its first entry';
      callback(new AppError('ARCHIVE_TOO_LARGE', `the archive holds more padding or metadata ${where} than a real one would; re-create it with tar -czf`));
    },
  });
  pipeline(gunzip, counter, extract as unknown as NodeJS.WritableStream, () => {});
  gunzip.end(data);
  try {
    for await (const entry of extract) {
      const { name, type, mode, mtime } = entry.header;
      const kind = TAR_KINDS[type] ?? 'special';
      const path = walk.enter(name, kind);
      const body = await walk.content(name, path, kind, entry as AsyncIterable<Buffer>);
      walk.add(name, path, kind, mode, mtime.getTime(), kind === 'link' ? Buffer.from(entry.header.linkname ?? '') : body);
    }
  } catch (err) {
    throw broken(err, walk);
  } finally {
    gunzip.destroy();
    extract.destroy();
  }
}

async function readZip(data: Buffer, walk: Walk): Promise<void> {
  let zip: yauzl.ZipFile | undefined;
  try {
    zip = await yauzl.fromBufferPromise(data, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true });
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      const mode = entry.versionMadeBy >> 8 === 3 ? entry.externalFileAttributes >>> 16 : 0;
      const format = mode & S_IFMT;
      const kind: Kind = format === S_IFLNK ? 'link'
        : format === S_IFDIR || name.endsWith('/') ? 'dir'
        : format === 0 || format === S_IFREG ? 'file' : 'special';
      const path = walk.enter(name, kind);
      const mtimeMs = entry.getLastModDate().getTime();
      if (kind === 'dir') {
        walk.add(name, path, kind, mode, mtimeMs, Buffer.alloc(0));
        continue;
      }
      if (entry.isEncrypted()) throw invalid(name, 'is encrypted; re-create the archive without a password');
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        throw invalid(name, `uses compression method ${entry.compressionMethod}; re-create the archive with plain deflate`);
      }
      const max = kind === 'link' ? MAX_LINK_TARGET_BYTES : walk.limits.maxFileBytes;
      if (entry.uncompressedSize > max) throw tooLarge(name, `is larger than ${max} bytes`); // early; read() counts for real
      const body = await walk.content(name, path, kind, await zip.openReadStreamPromise(entry), max);
      walk.add(name, path, kind, mode, mtimeMs, body);
    }
  } catch (err) {
    // yauzl refuses unsafe names itself ("invalid relative path: ../x"); answer those as our own check would.
    const refused = /^(?:absolute path|invalid relative path|invalid characters in fileName): (.*)$/s.exec(describeError(err));
    if (refused && !(err instanceof AppError)) {
      entryPath(refused[1]);
      throw unsafe(refused[1], 'has an unsafe name', 'rename it and re-create the archive');
    }
    throw broken(err, walk);
  } finally {
    zip?.close();
  }
}

/**
 * Streams a workspace out as tar.gz (ustar, pax headers for long names) or zip (unix modes,
 * symlinks as S_IFLNK entries). Waits for the reader between files, so memory stays flat.
 */
export function writeArchive(entries: AsyncIterable<ArchiveEntry> | Iterable<ArchiveEntry>, format: ArchiveFormat): Readable {
  const out = new PassThrough();
  (format === 'zip' ? writeZip : writeTarGz)(entries, out).catch((err: unknown) => out.destroy(err as Error));
  return out;
}

/** Waits until one entry is on its way out, or the reader went away; answers whether to go on. */
function sent(out: PassThrough, done: Promise<unknown>): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const gone = () => resolve(false);
    out.once('close', gone);
    done.then(() => resolve(!out.destroyed), reject).finally(() => out.off('close', gone));
    if (out.destroyed) gone();
  });
}

async function writeTarGz(entries: AsyncIterable<ArchiveEntry> | Iterable<ArchiveEntry>, out: PassThrough): Promise<void> {
  const pack = tar.pack();
  pipeline(pack as unknown as NodeJS.ReadableStream, zlib.createGzip(), out, (err) => err && out.destroy(err));
  for await (const entry of entries) {
    const name = checkRelativePath(entry.path, 'archive entry path');
    const mtime = new Date(entry.mtimeMs ?? Date.now());
    const added = new Promise<void>((resolve, reject) => {
      const callback = (err?: Error | null) => (err ? reject(err) : resolve());
      const sink = entry.type === 'dir' ? pack.entry({ name: `${name}/`, type: 'directory', mode: 0o755, mtime }, callback)
        : entry.type === 'link' ? pack.entry({ name, type: 'symlink', linkname: entry.target ?? '', mode: 0o777, mtime }, callback)
        : pack.entry({ name, type: 'file', mode: entry.executable ? 0o755 : 0o644, mtime }, entry.body ?? Buffer.alloc(0), callback);
      sink.on('error', () => {}); // the callback gets the same error; without a listener it would crash the process
    });
    if (!(await sent(out, added))) return;
  }
  pack.finalize();
}

async function writeZip(entries: AsyncIterable<ArchiveEntry> | Iterable<ArchiveEntry>, out: PassThrough): Promise<void> {
  const zip = new yazl.ZipFile();
  zip.on('error', (err: Error) => out.destroy(err));
  zip.outputStream.pipe(out);
  for await (const entry of entries) {
    const name = checkRelativePath(entry.path, 'archive entry path');
    const mtime = new Date(entry.mtimeMs ?? Date.now());
    if (entry.type === 'dir') zip.addEmptyDirectory(name, { mode: S_IFDIR | 0o755, mtime });
    else if (entry.type === 'link') zip.addBuffer(Buffer.from(entry.target ?? ''), name, { mode: S_IFLNK | 0o777, mtime, compress: false });
    else {
      let body: Buffer | undefined = entry.body ?? Buffer.alloc(0);
      const mode = S_IFREG | (entry.executable ? 0o755 : 0o644);
      // yazl asks for the stream when it is this file's turn, i.e. once the ones before are written.
      // It keeps this callback until the end, so drop the body from it once handed over.
      const started = new Promise<void>((resolve) => {
        zip.addReadStreamLazy(name, { mode, mtime, size: body?.length }, (callback) => {
          const data = body ?? Buffer.alloc(0);
          body = undefined;
          resolve();
          callback(null, Readable.from(data));
        });
      });
      if (!(await sent(out, started))) return;
    }
  }
  zip.end();
}

function unsafe(name: string, what: string, fix: string): AppError {
  return new AppError('UNSAFE_ARCHIVE', `archive entry ${JSON.stringify(name)} ${what}; ${fix}`);
}

function tooLarge(name: string, what: string): AppError {
  return new AppError('ARCHIVE_TOO_LARGE', `archive entry ${JSON.stringify(name)} ${what}; leave out build output and dependencies (node_modules, target, dist) and try again`);
}

function invalid(name: string, what: string): AppError {
  return new AppError('INVALID_ARCHIVE', `archive entry ${JSON.stringify(name)} ${what}`);
}

/** Any non-AppError while reading: the archive is corrupt or truncated. */
function broken(err: unknown, walk: Walk): AppError {
  if (err instanceof AppError) return err;
  const where = walk.current ? `at entry ${JSON.stringify(walk.current)}` : 'before its first entry';
  return new AppError('INVALID_ARCHIVE', `the archive is corrupt or truncated ${where} (${describeError(err)}); upload it again or re-create it`, undefined, { cause: err });
}
