import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError, isAppError } from '@codeyard/common/errors';
import { checkRelativePath } from '@codeyard/common/paths';
import { checkPrefix, mapLimit, type ObjectStore } from '../store/object-store.js';

/**
 * Whole-workspace copies between a folder and the store. Regenerable heavy folders are not
 * saved: the stack's install step recreates them on the next Run.
 */
export const NOT_SAVED = new Set(['node_modules', 'target', '.venv', '__pycache__', '.cache']);

/** Writes every object under `prefix` into `dir` (which should be empty), exec bits included. */
export async function restoreWorkspace(store: ObjectStore, prefix: string, dir: string): Promise<number> {
  const objects = [];
  for await (const info of store.list(checkPrefix(prefix))) objects.push(info);
  await mapLimit(objects, 8, async (info) => {
    const rel = info.key.slice(prefix.length);
    const file = path.join(dir, rel);
    const object = await store.getObject(info.key);
    if (object === undefined) return; // deleted while we listed
    await fs.mkdir(path.dirname(file), { recursive: true });
    if (object.metadata.type === 'symlink') await fs.symlink(object.body.toString('utf8'), file);
    else await fs.writeFile(file, object.body, { mode: object.metadata.mode === '755' ? 0o755 : 0o644 });
  });
  return objects.length;
}

interface LocalEntry {
  rel: string;
  mode: number;
  /** Set for a symbolic link: where it points (saved as the link, never followed). */
  link?: string;
}

async function localFiles(dir: string, rel = ''): Promise<LocalEntry[]> {
  const out: LocalEntry[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const entry of entries) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (!entry.isDirectory() && !entry.isFile() && !entry.isSymbolicLink()) continue; // sockets, fifos
    if (entry.isDirectory() && NOT_SAVED.has(entry.name)) continue;
    try {
      checkRelativePath(child);
    } catch (err) {
      // Refuse the whole save rather than drop a file: the local copy stays until it can be saved.
      const reason = isAppError(err) ? err.message.replace(/^path /, '') : String(err);
      throw new AppError('CONFLICT', `cannot save ${JSON.stringify(child)}: its name ${reason}; rename it`);
    }
    if (entry.isDirectory()) out.push(...(await localFiles(dir, child)));
    else if (entry.isSymbolicLink()) out.push({ rel: child, mode: 0o777, link: await fs.readlink(path.join(dir, child)) });
    else out.push({ rel: child, mode: (await fs.stat(path.join(dir, child))).mode });
  }
  return out;
}

/**
 * Makes the store's copy under `prefix` equal to `dir`: every file uploaded, then objects that
 * no longer exist locally deleted. Uploads come first, so a failure part-way loses nothing.
 */
export async function saveWorkspace(store: ObjectStore, dir: string, prefix: string): Promise<{ uploaded: number; deleted: number }> {
  const files = await localFiles(dir);
  await mapLimit(files, 8, async ({ rel, mode, link }) => {
    if (link !== undefined) return store.put(prefix + rel, link, { metadata: { type: 'symlink' } });
    const body = await fs.readFile(path.join(dir, rel));
    await store.put(prefix + rel, body, { metadata: mode & 0o111 ? { mode: '755' } : {} });
  });
  const keep = new Set(files.map((f) => prefix + f.rel));
  const stale: string[] = [];
  for await (const info of store.list(checkPrefix(prefix))) if (!keep.has(info.key)) stale.push(info.key);
  await mapLimit(stale, 8, (key) => store.delete(key));
  return { uploaded: files.length, deleted: stale.length };
}
