import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';

/** Mounts a 256 KiB tmpfs on `dir`; answers why not when it cannot. */
function mountSmallVolume(dir: string): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a small tmpfs needs root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs here: ${String(err)}`;
  }
}

/**
 * A real, small file system to fill, for the enclosing describe(): mounted now, removed after.
 * It needs root (as the portal and CI run): elsewhere `skip` says why, and in CI that fails.
 */
export function useSmallVolume(name: string): { root: string; skip: string | undefined } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `cy-${name}-`));
  const skip = mountSmallVolume(root);
  before(() => {
    if (skip && process.env.CI) throw new Error(skip);
  });
  after(() => {
    if (!skip) execFileSync('umount', [root]);
    fs.rmSync(root, { recursive: true, force: true });
  });
  return { root, skip };
}
