import fsp from 'node:fs/promises';
import type { WorkspaceManifest } from '@codeyard/common/workspace-manifest';
import { IgnoreRules } from './ignore-rules.js';
import { hashFile, walkWorkspace } from './workspace-folder.js';

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
  const found: string[] = [];
  await walkWorkspace(workspace, new IgnoreRules(workspace), async (step) => {
    if (found.length >= limit) return false;
    if ('refused' in step) {
      found.push(`${JSON.stringify(step.rel)}: a name the store cannot keep (rename it)`);
      return;
    }
    const { rel, full, stat } = step;
    const entry = manifest.entries[rel];
    if (stat.isDirectory()) {
      if (entry?.type === 'dir') return;
      found.push(`${rel}/: not saved`);
      return false;
    }
    if (stat.isSymbolicLink()) {
      const target = await fsp.readlink(full).catch(() => undefined);
      if (entry?.type !== 'link' || entry.target !== target) found.push(`${rel}: link not saved as it is`);
    } else if (stat.isFile()) {
      const executable = (stat.mode & 0o111) !== 0;
      let same = entry?.type === 'file' && entry.size === stat.size && !!entry.executable === executable;
      // Without a recorded mtime (a template's files) only the content can tell.
      if (same && entry?.type === 'file') same = entry.mtimeMs !== undefined ? entry.mtimeMs === Math.floor(stat.mtimeMs) : (await hashFile(full, stat))?.hash === entry.hash;
      if (!same) found.push(`${rel}: ${entry ? 'changed since it was saved' : 'not saved'}`);
    }
  });
  return found;
}
