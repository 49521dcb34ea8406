import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { AppError, describeError } from '@codeyard/common/errors';
import { checkRelativePath } from '@codeyard/common/paths';
import type { ManifestEntry } from '@codeyard/common/workspace-manifest';
import { type IgnoreRules, VOLUME_ROOT_NOISE } from './ignore-rules.js';

/** What the agent last saw of a file: unchanged stat means unchanged content. */
export interface LocalFile {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  hash: string;
}

export interface Scan {
  entries: Record<string, ManifestEntry>;
  files: Record<string, LocalFile>;
  dirs: string[];
  /** Files that changed while being read: kept at their stored version, synced next time. */
  unstable: Set<string>;
  skipped: string[];
}

/** One path the walk met: its stat (never followed), or why the store cannot keep its name. */
export type WalkStep = { rel: string; full: string; stat: fs.Stats } | { rel: string; refused: string };

/**
 * The one rule for which paths of a workspace are synced, shared by the agent's scan and the
 * host's check before it drops a local copy: everything below `workspace`, links never
 * followed, minus the volume's own `lost+found` and what the ignore rules leave out. A name the
 * store refuses is reported, not walked. `visit` answers whether to go into a folder.
 */
export async function walkWorkspace(workspace: string, ignore: IgnoreRules, visit: (step: WalkStep) => Promise<boolean | void>): Promise<void> {
  await ignore.reload();
  const walk = async (dirRel: string): Promise<void> => {
    let names: fs.Dirent[];
    try {
      names = await fsp.readdir(path.join(workspace, dirRel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && dirRel) return; // removed meanwhile
      throw err;
    }
    for (const dirent of names) {
      const rel = dirRel ? `${dirRel}/${dirent.name}` : dirent.name;
      if (!dirRel && VOLUME_ROOT_NOISE.has(dirent.name)) continue;
      if (ignore.ignores(rel, dirent.isDirectory())) continue;
      try {
        checkRelativePath(rel);
      } catch (err) {
        if ((await visit({ rel, refused: describeError(err) })) === false) return;
        continue;
      }
      const full = path.join(workspace, rel);
      const stat = await fsp.lstat(full).catch(() => undefined);
      if (!stat) continue;
      const descend = await visit({ rel, full, stat });
      if (stat.isDirectory() && descend !== false) await walk(rel);
    }
  };
  await walk('');
}

/**
 * What is in the workspace now, with content hashes re-computed only for files whose stat moved
 * since `known` recorded them.
 */
export async function scanWorkspace(workspace: string, ignore: IgnoreRules, known: Record<string, LocalFile>): Promise<Scan> {
  const scan: Scan = { entries: {}, files: {}, dirs: [''], unstable: new Set(), skipped: [] };
  await walkWorkspace(workspace, ignore, async (step) => {
    if ('refused' in step) {
      if (scan.skipped.length < 20) scan.skipped.push(`${JSON.stringify(step.rel)}: ${step.refused}`);
      return;
    }
    const { rel, full, stat } = step;
    if (stat.isDirectory()) {
      scan.entries[rel] = { type: 'dir' };
      scan.dirs.push(rel);
    } else if (stat.isSymbolicLink()) {
      const target = await fsp.readlink(full).catch(() => undefined);
      if (target) scan.entries[rel] = { type: 'link', target };
    } else if (stat.isFile()) {
      const before = known[rel];
      const info = before && before.size === stat.size && before.mtimeMs === stat.mtimeMs && before.ctimeMs === stat.ctimeMs && before.ino === stat.ino ? before : await hashFile(full, stat);
      if (!info) {
        scan.unstable.add(rel);
        return;
      }
      scan.files[rel] = info;
      scan.entries[rel] = { type: 'file', size: info.size, hash: info.hash, mtimeMs: Math.floor(stat.mtimeMs), ...(stat.mode & 0o111 ? { executable: true } : {}) };
    }
    // Sockets and FIFOs are not files anyone can save.
  });
  return scan;
}

/**
 * Hashes a file; undefined when it changed while being read (or vanished). Opened without
 * following a link or blocking on a FIFO put in its place: the root portal hashes repl files too.
 */
export async function hashFile(full: string, before: fs.Stats): Promise<LocalFile | undefined> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(full, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    const after = await handle.stat();
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs || after.ctimeMs !== before.ctimeMs || after.ino !== before.ino) return undefined;
    return { size: after.size, mtimeMs: after.mtimeMs, ctimeMs: after.ctimeMs, ino: after.ino, hash: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

function sameEntry(a: ManifestEntry | undefined, b: ManifestEntry | undefined): boolean {
  if (!a || !b || a.type !== b.type) return false;
  if (a.type === 'file' && b.type === 'file') return a.hash === b.hash && a.size === b.size && !!a.executable === !!b.executable && a.mtimeMs === b.mtimeMs;
  if (a.type === 'link' && b.type === 'link') return a.target === b.target;
  return true;
}

/** How many paths differ between two manifests' entries. */
export function diffCount(before: Record<string, ManifestEntry>, after: Record<string, ManifestEntry>): number {
  let n = 0;
  for (const [rel, entry] of Object.entries(after)) if (!sameEntry(before[rel], entry)) n++;
  for (const rel of Object.keys(before)) if (!(rel in after)) n++;
  return n;
}

/** The workspace's own top-level names (not the volume's `lost+found`). */
export async function workspaceNames(workspace: string): Promise<string[]> {
  const names = await fsp.readdir(workspace).catch(() => [] as string[]);
  return names.filter((n) => !VOLUME_ROOT_NOISE.has(n));
}

/** Empties the workspace folder (which may be a mount point, so it stays). */
export async function clearWorkspace(workspace: string): Promise<void> {
  await fsp.mkdir(workspace, { recursive: true });
  for (const name of await workspaceNames(workspace)) await fsp.rm(path.join(workspace, name), { recursive: true, force: true });
}

/** A write refused for want of space or inodes, as a clear error; anything else as it was. */
export function diskFull(err: unknown, what: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT' && code !== 'EFBIG') return err;
  return new AppError('QUOTA_EXCEEDED', `could not ${what}: the workspace disk is full (${code}). Raise the repl's disk limit (CODEYARD_LIMIT_DISK_MB) or remove files, then start it again; the stored files are unchanged`);
}
