import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { checkRelativePath } from '@codeyard/common/paths';
import type { WorkspaceManifest } from '@codeyard/common/workspace-manifest';
import { IgnoreRules, VOLUME_ROOT_NOISE } from './ignore-rules.js';

/**
 * What on disk a stored manifest does not hold as it is now: each answer names a path and why.
 * The runtime asks this before it drops a workspace's local copy (the last word on "saved",
 * independent of what the agent reported). Sync's own rules apply: ignored paths are not
 * saved by design, sockets and FIFOs cannot be; a name the store refuses is reported, since
 * dropping it would lose it. Files compare by type, size, mtime (to the millisecond, as sync
 * records it) and exec bit; a file stored without an mtime (a template's) by its content.
 *
 * Safe to run as root over a tree the repl wrote: nothing is followed (lstat, readlink, files
 * opened O_NOFOLLOW), and the ignore file is read only when it is a small plain file.
 */
export async function uncoveredPaths(workspace: string, manifest: WorkspaceManifest, limit = 10): Promise<string[]> {
  const ignore = new IgnoreRules(workspace);
  await ignore.reload();
  const found: string[] = [];
  const walk = async (dirRel: string): Promise<void> => {
    const names = await fsp.readdir(path.join(workspace, dirRel), { withFileTypes: true }).catch(() => []);
    for (const dirent of names) {
      if (found.length >= limit) return;
      const rel = dirRel ? `${dirRel}/${dirent.name}` : dirent.name;
      if (!dirRel && VOLUME_ROOT_NOISE.has(dirent.name)) continue;
      if (ignore.ignores(rel, dirent.isDirectory())) continue;
      try {
        checkRelativePath(rel);
      } catch {
        found.push(`${JSON.stringify(rel)}: a name the store cannot keep (rename it)`);
        continue;
      }
      const full = path.join(workspace, rel);
      const stat = await fsp.lstat(full).catch(() => undefined);
      if (!stat) continue;
      const entry = manifest.entries[rel];
      if (stat.isDirectory()) {
        if (entry?.type !== 'dir') found.push(`${rel}/: not saved`);
        else await walk(rel);
      } else if (stat.isSymbolicLink()) {
        const target = await fsp.readlink(full).catch(() => undefined);
        if (entry?.type !== 'link' || entry.target !== target) found.push(`${rel}: link not saved as it is`);
      } else if (stat.isFile()) {
        const executable = (stat.mode & 0o111) !== 0;
        let same = entry?.type === 'file' && entry.size === stat.size && !!entry.executable === executable;
        // Without a recorded mtime (a template's files) only the content can tell.
        if (same && entry?.type === 'file') same = entry.mtimeMs !== undefined ? entry.mtimeMs === Math.floor(stat.mtimeMs) : (await contentHash(full)) === entry.hash;
        if (!same) found.push(`${rel}: ${entry ? 'changed since it was saved' : 'not saved'}`);
      }
    }
  };
  await walk('');
  return found;
}

/** SHA-256 of a plain file, opened without following a link or blocking on a FIFO. */
async function contentHash(file: string): Promise<string | undefined> {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  const handle = await fsp.open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}
