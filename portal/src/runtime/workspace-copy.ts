import fs from 'node:fs/promises';
import path from 'node:path';
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
    const body = await store.get(info.key);
    if (body === undefined) return; // deleted while we listed
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, body, { mode: info.metadata.mode === '755' ? 0o755 : 0o644 });
  });
  return objects.length;
}

async function localFiles(dir: string, rel = ''): Promise<Array<{ rel: string; mode: number }>> {
  const out: Array<{ rel: string; mode: number }> = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const entry of entries) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!NOT_SAVED.has(entry.name)) out.push(...(await localFiles(dir, child)));
    } else if (entry.isFile()) {
      const stat = await fs.stat(path.join(dir, child));
      out.push({ rel: child, mode: stat.mode });
    }
    // Symlinks and special files are not saved by this whole copy; the sync engine keeps links.
  }
  return out;
}

/**
 * Makes the store's copy under `prefix` equal to `dir`: every file uploaded, then objects that
 * no longer exist locally deleted. Uploads come first, so a failure part-way loses nothing.
 */
export async function saveWorkspace(store: ObjectStore, dir: string, prefix: string): Promise<{ uploaded: number; deleted: number }> {
  const files = await localFiles(dir);
  await mapLimit(files, 8, async ({ rel, mode }) => {
    const body = await fs.readFile(path.join(dir, rel));
    await store.put(prefix + rel, body, { metadata: mode & 0o111 ? { mode: '755' } : {} });
  });
  const keep = new Set(files.map((f) => prefix + f.rel));
  const stale: string[] = [];
  for await (const info of store.list(checkPrefix(prefix))) if (!keep.has(info.key)) stale.push(info.key);
  await mapLimit(stale, 8, (key) => store.delete(key));
  return { uploaded: files.length, deleted: stale.length };
}
