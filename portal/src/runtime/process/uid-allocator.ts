import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ReplDirs } from './repl-folders.js';

/**
 * One unprivileged host uid per sandbox (a root portal only), kept in its folder's `uid` file so
 * it survives restarts and goes with the folder when a warm sandbox becomes a repl's. A new one
 * is one more than the highest in use under any of `roots`; allocations run one at a time.
 */
export class UidAllocator {
  readonly #base: number;
  readonly #roots: string[];
  #lock: Promise<unknown> = Promise.resolve();

  constructor(uidBase: number, roots: string[]) {
    this.#base = uidBase;
    this.#roots = roots;
  }

  /** The uid of the sandbox in `dirs`: the one it has, or a new one. */
  uidFor(dirs: ReplDirs): Promise<number> {
    return this.exclusive(() => this.#allocate(dirs));
  }

  /** Runs `task` with no allocation going on: a folder moved meanwhile would be missed by the scan. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#lock.catch(() => undefined).then(task);
    this.#lock = next;
    return next;
  }

  async #allocate(dirs: ReplDirs): Promise<number> {
    const existing = await readUid(dirs.uidFile);
    if (existing !== undefined) return existing;
    let max = this.#base - 1;
    for (const root of this.#roots) {
      for (const entry of await fsp.readdir(root).catch(() => [])) {
        const uid = await readUid(path.join(root, entry, 'uid'));
        if (uid !== undefined && uid > max) max = uid;
      }
    }
    await fsp.mkdir(dirs.base, { recursive: true, mode: 0o711 });
    await fsp.writeFile(dirs.uidFile, String(max + 1), { mode: 0o644 });
    return max + 1;
  }
}

/** The uid recorded in a folder's `uid` file, if there is one. */
export async function readUid(file: string): Promise<number | undefined> {
  const uid = Number(await fsp.readFile(file, 'utf8').catch(() => 'NaN'));
  return Number.isInteger(uid) ? uid : undefined;
}
