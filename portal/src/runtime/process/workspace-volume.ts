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

/** Makes a fresh volume of `sizeBytes` and mounts it on `mountpoint` (an empty folder). */
export async function mountVolume(image: string, mountpoint: string, sizeBytes: number): Promise<void> {
  await fsp.rm(image, { force: true });
  await fsp.writeFile(image, '');
  await fsp.truncate(image, sizeBytes);
  // -m 0: no blocks held back for root; the repl may use its whole quota.
  await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', 'root_owner=0:0', image]);
  await fsp.mkdir(mountpoint, { recursive: true });
  await run('mount', ['-o', 'loop,nosuid,nodev', image, mountpoint]);
  await fsp.rmdir(path.join(mountpoint, 'lost+found')).catch(() => undefined);
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

/** Unmounts (lazily if something still holds it) and removes the image. */
export async function releaseVolume(image: string, mountpoint: string): Promise<void> {
  if (isMountpoint(mountpoint)) {
    try {
      await run('umount', [mountpoint]);
    } catch {
      await run('umount', ['-l', mountpoint]);
    }
  }
  await fsp.rm(image, { force: true });
}
