import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The workspace disk quota: each workspace is its own small ext4 filesystem, in a sparse image
 * file loop-mounted over the workspace folder. Why this mechanism: it is a hard limit (writes fail
 * with ENOSPC at the quota, nothing to race), it works on any host filesystem (project quotas need
 * XFS or an ext4 mounted with prjquota, which the root filesystem usually is not), and it needs
 * nothing but root and the loop driver. A sparse image costs only what is written.
 */
export function volumeProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'loop-mounted workspace volumes need a root portal';
  if (!fs.existsSync('/dev/loop-control')) return 'no loop device driver (/dev/loop-control) on this host';
  for (const tool of ['/usr/sbin/mkfs.ext4', '/usr/bin/mount', '/usr/bin/umount']) {
    if (!fs.existsSync(tool) && !fs.existsSync(tool.replace('/usr', ''))) return `${path.basename(tool)} is missing (apt-get install e2fsprogs mount)`;
  }
  return undefined;
}

/** True when `dir` is a mount point (another filesystem than its parent's). */
export function isMountpoint(dir: string): boolean {
  try {
    return fs.statSync(dir).dev !== fs.statSync(path.dirname(dir)).dev;
  } catch {
    return false;
  }
}

/** What a workspace volume must hold: bytes of content blocks, and inodes. */
export interface VolumeNeeds {
  bytes: number;
  inodes: number;
}

const BLOCK = 4096;
/** Left free beyond the needs: a first save's temporary files, the agent's small writes. */
const SPARE_BYTES = 4 * 1024 * 1024;

/**
 * What a volume needs so that a workspace stored under `quotaBytes` always fits when restored:
 * the quota itself (what the repl may write), or, when the store holds more blocks than that
 * (many small files each take a whole block; a workspace filled while stopped), what those
 * files and folders really take on ext4. Inodes: one per entry, twice over, never fewer than
 * ext4's own default would give.
 */
export function volumeNeeds(quotaBytes: number, entries: Iterable<{ type: string; size?: number }> = []): VolumeNeeds {
  let blocks = 0;
  let count = 0;
  for (const entry of entries) {
    count++;
    blocks += entry.type === 'file' ? Math.ceil((entry.size ?? 0) / BLOCK) : 1;
  }
  // The quota itself when the files fit it (writes then stop at the quota), else their blocks and some room.
  const bytes = blocks * BLOCK + SPARE_BYTES > quotaBytes ? blocks * BLOCK + SPARE_BYTES : quotaBytes;
  return { bytes, inodes: Math.max(4096, Math.ceil(quotaBytes / 16384), count * 2 + 1024) };
}

/** Free bytes and inodes of the filesystem mounted at `dir`. */
export async function volumeFree(dir: string): Promise<VolumeNeeds> {
  const stat = await fsp.statfs(dir);
  return { bytes: stat.bavail * stat.bsize, inodes: stat.ffree };
}

/**
 * Makes a fresh volume that holds `needs` and mounts it on `mountpoint` (an empty folder).
 * ext4 keeps part of a volume for itself (journal, inode tables: 4% of a 4 GB volume, 16% of a
 * 64 MB one), so the image is sized from the needs plus that overhead, and checked once mounted:
 * a volume equal to the quota held less than the quota, and a full workspace could not be
 * restored into it (security review, class 8).
 */
export async function mountVolume(image: string, mountpoint: string, needs: VolumeNeeds): Promise<void> {
  // A first guess; what ext4 really keeps is measured on it, and the image remade to fit.
  let size = needs.bytes + needs.inodes * 256 + 8 * 1024 * 1024;
  for (let attempt = 1; ; attempt++) {
    await fsp.rm(image, { force: true });
    await fsp.writeFile(image, '');
    await fsp.truncate(image, size);
    // -m 0: no blocks held back for root; -N: inodes for every stored entry.
    // (ext4 rounds the inode count to its block groups and keeps a few: ask for a little more.)
    await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-N', String(Math.ceil(needs.inodes * 1.05) + 64), '-E', 'root_owner=0:0', image]);
    await fsp.mkdir(mountpoint, { recursive: true });
    await run('mount', ['-o', 'loop,nosuid,nodev', image, mountpoint]);
    await fsp.rmdir(path.join(mountpoint, 'lost+found')).catch(() => undefined);
    const free = await volumeFree(mountpoint);
    const enough = free.bytes >= needs.bytes && free.inodes >= needs.inodes;
    // Within 256 KiB of the needs: the quota is what the repl gets, not more.
    if ((enough && free.bytes - needs.bytes < 256 * 1024) || attempt >= 4) {
      if (enough) return;
      await run('umount', [mountpoint]);
      throw new Error(`a ${size}-byte volume holds only ${free.bytes} bytes and ${free.inodes} files; ${needs.bytes} bytes and ${needs.inodes} files are needed`);
    }
    await run('umount', [mountpoint]);
    const overhead = size - free.bytes;
    size = Math.ceil((needs.bytes + overhead + 64 * 1024) / BLOCK) * BLOCK;
  }
}

/** Mounts an existing volume again (after a host restart unmounted it); false when there is none. */
export async function remountVolume(image: string, mountpoint: string): Promise<boolean> {
  if (isMountpoint(mountpoint)) return true;
  if (!fs.existsSync(image)) return false;
  await fsp.mkdir(mountpoint, { recursive: true });
  await run('mount', ['-o', 'loop,nosuid,nodev', image, mountpoint]);
  return true;
}

/** Moves a mounted volume to another folder (`mount --move`). */
export async function moveMount(from: string, to: string): Promise<void> {
  await fsp.mkdir(to, { recursive: true });
  await run('mount', ['--move', from, to]);
}

/** Unmounts a volume (lazily if something still holds it) and keeps its image for the next mount. */
export async function unmountVolume(mountpoint: string): Promise<void> {
  if (!isMountpoint(mountpoint)) return;
  try {
    await run('umount', [mountpoint]);
  } catch {
    await run('umount', ['-l', mountpoint]);
  }
}

/** Unmounts (lazily if something still holds it) and removes the image. */
export async function releaseVolume(image: string, mountpoint: string): Promise<void> {
  await unmountVolume(mountpoint);
  await fsp.rm(image, { force: true });
}
