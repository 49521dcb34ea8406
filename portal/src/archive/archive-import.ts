import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { blobKey, type WorkspaceManifest } from '@codeyard/common/workspace-manifest';
import { deletePrefix } from '../store/object-store.js';
import type { WorkspaceStore } from '../store/workspace-store.js';
import { type ArchiveFormat, type ArchiveLimits, readArchive } from './archive.js';

/**
 * Unpacks an uploaded archive straight into a new workspace at `prefix`, with bounded memory:
 * each file inflates into a spool file while it is hashed and counted against the limits, then
 * streams into the store as its blob. Nothing unpacked is ever held whole in memory (a 1.8 MB
 * zip once grew the portal by 1.86 GB), and a refused or failed import leaves nothing under
 * `prefix` and no spool file behind. Checks are readArchive()'s (paths, links, sizes, counts).
 */
export async function importArchive(
  workspaces: WorkspaceStore,
  prefix: string,
  data: Buffer,
  format: ArchiveFormat,
  limits: ArchiveLimits,
  spoolRoot = os.tmpdir(),
): Promise<WorkspaceManifest> {
  const spool = await fsp.mkdtemp(path.join(spoolRoot, 'cy-import-'));
  const stored = new Set<string>();
  let n = 0;
  try {
    const entries = await readArchive(data, format, limits, async (chunks) => {
      const file = path.join(spool, String(n++));
      const hash = createHash('sha256');
      let size = 0;
      await pipeline(
        chunks,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        fs.createWriteStream(file, { mode: 0o600 }),
      );
      const digest = hash.digest('hex');
      try {
        if (!stored.has(digest)) {
          await workspaces.objects.putStream(blobKey(prefix, digest), fs.createReadStream(file), { metadata: { sha256: digest } });
          stored.add(digest);
        }
      } finally {
        await fsp.rm(file, { force: true });
      }
      return { hash: digest, size };
    });
    const manifest = await workspaces.create(prefix, entries, limits.maxTotalBytes);
    // A path given twice keeps its last content: the earlier one's blob is named by nothing.
    await workspaces.gc(prefix, 0);
    return manifest;
  } catch (err) {
    await deletePrefix(workspaces.objects, prefix).catch(() => undefined);
    throw err;
  } finally {
    await fsp.rm(spool, { recursive: true, force: true });
  }
}
