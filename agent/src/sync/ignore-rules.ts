import fsp from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** Regenerable heavy folders: the stack's install step makes them again after a restore. */
export const DEFAULT_IGNORES = ['node_modules/', 'target/', '.venv/', '__pycache__/', '.cache/'];

export const IGNORE_FILE = '.codeyardignore';
/** A larger ignore file is not read (the defaults apply): nobody writes 64 KiB of patterns by hand. */
export const MAX_IGNORE_FILE_BYTES = 64 * 1024;

/** ext4 makes this at the root of every volume; it belongs to root and is not the user's. */
export const VOLUME_ROOT_NOISE: ReadonlySet<string> = new Set(['lost+found']);

/**
 * What is not saved: the defaults, then the workspace's own `.codeyardignore` (gitignore
 * syntax, so `!node_modules/` brings a default back). Re-read when the file changes.
 */
export class IgnoreRules {
  readonly #file: string;
  #stamp = '';
  #rules: Ignore = ignore().add(DEFAULT_IGNORES);

  constructor(workspace: string) {
    this.#file = path.join(workspace, IGNORE_FILE);
  }

  async reload(): Promise<void> {
    const stat = await fsp.lstat(this.#file).catch(() => undefined);
    const stamp = stat?.isFile() ? `${stat.size}:${stat.mtimeMs}:${stat.ino}` : '';
    if (stamp === this.#stamp) return;
    this.#stamp = stamp;
    // Bounded: the root portal reads this file too (sync/coverage.ts), and a huge one would stall it.
    const text = stamp && stat!.size <= MAX_IGNORE_FILE_BYTES ? await fsp.readFile(this.#file, 'utf8').catch(() => '') : '';
    this.#rules = ignore().add(DEFAULT_IGNORES).add(text);
  }

  /** `rel` is workspace-relative; folders are matched as folders (`name/` patterns). */
  ignores(rel: string, isDir: boolean): boolean {
    if (rel === IGNORE_FILE) return false;
    try {
      return this.#rules.ignores(isDir ? `${rel}/` : rel);
    } catch {
      return false; // a path the matcher cannot take (it refuses some odd names): keep it
    }
  }
}
