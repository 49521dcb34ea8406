import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileEntry } from '@codeyard/common/agent/protocol';
import { AppError } from '@codeyard/common/errors';
import { checkRelativePath } from '@codeyard/common/paths';

/**
 * File access inside one workspace. Paths are checked as text first (no `..`, no absolute
 * paths, no control characters), then resolved on disk: a symlink in the workspace may point
 * anywhere, so what it resolves to must still be inside the workspace, or the answer is 403.
 */
export class WorkspaceFiles {
  readonly #root: string;
  #realRoot?: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  async list(dir: string): Promise<FileEntry[]> {
    const rel = checkRelativePath(dir, 'dir', true);
    const full = await this.#resolveExisting(rel);
    const stat = await fs.stat(full);
    if (!stat.isDirectory()) throw new AppError('BAD_REQUEST', `${rel} is not a directory`);
    const names = await fs.readdir(full);
    const entries: FileEntry[] = [];
    for (const name of names.sort()) {
      const st = await fs.lstat(path.join(full, name)).catch(() => undefined);
      if (!st) continue;
      const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
      entries.push({ name, type, size: st.isFile() ? st.size : 0, modifiedAt: st.mtime.toISOString() });
    }
    return entries;
  }

  async read(file: string, maxBytes: number): Promise<Buffer> {
    const rel = checkRelativePath(file, 'path');
    const full = await this.#resolveExisting(rel);
    const stat = await fs.stat(full);
    if (stat.isDirectory()) throw new AppError('BAD_REQUEST', `${rel} is a directory; list it with ?dir=`);
    if (!stat.isFile()) throw new AppError('BAD_REQUEST', `${rel} is not a regular file`);
    if (stat.size > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `${rel} is ${stat.size} bytes; the files API serves at most ${maxBytes}`);
    return fs.readFile(full);
  }

  /**
   * Writes a file, creating parent directories. Answers true when it created the file. A full
   * volume (the workspace's disk quota) is the user's to fix, not a server error: 413
   * QUOTA_EXCEEDED, with the half-written temporary file removed.
   */
  async write(file: string, body: Buffer): Promise<boolean> {
    const rel = checkRelativePath(file, 'path');
    try {
      return await this.#write(rel, body);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new AppError('QUOTA_EXCEEDED', `the workspace is full: ${rel} (${body.length} bytes) does not fit in its disk quota; delete files to make room`, undefined, { cause: err });
      }
      throw err;
    }
  }

  async #write(rel: string, body: Buffer): Promise<boolean> {
    const target = path.join(this.#root, rel);
    const parentRel = path.posix.dirname(rel);
    // Create missing parents one by one, checking each existing one resolves inside.
    let current = await this.#realRootPath();
    for (const segment of parentRel === '.' ? [] : parentRel.split('/')) {
      const next = path.join(current, segment);
      const st = await fs.lstat(next).catch(() => undefined);
      if (!st) {
        await fs.mkdir(next);
        current = next;
      } else {
        current = await this.#inside(next, rel);
        if (!(await fs.stat(current)).isDirectory()) throw new AppError("CONFLICT", `${segment} in ${rel} is a file, not a directory`);
      }
    }
    const existing = await fs.lstat(target).catch(() => undefined);
    if (existing?.isDirectory()) throw new AppError('CONFLICT', `${rel} is a directory`);
    if (existing?.isSymbolicLink()) await this.#inside(target, rel);
    // Write beside it and rename, so a reader never sees half a file.
    const temp = path.join(current, `.${path.basename(rel)}.codeyard-${process.pid}-${Date.now()}`);
    try {
      await fs.writeFile(temp, body);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    if (existing?.isFile()) await fs.chmod(temp, existing.mode & 0o7777);
    await fs.rename(temp, existing?.isSymbolicLink() ? await fs.realpath(target) : path.join(current, path.basename(rel)));
    return !existing;
  }

  async remove(file: string): Promise<void> {
    const rel = checkRelativePath(file, 'path');
    const target = path.join(this.#root, rel);
    const parent = await this.#resolveExisting(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));
    const full = path.join(parent, path.basename(target));
    const st = await fs.lstat(full).catch(() => undefined);
    if (!st) throw new AppError('NOT_FOUND', `no file or directory ${rel}`);
    // A symlink is removed itself, never what it points to.
    await fs.rm(full, { recursive: st.isDirectory(), force: false });
  }

  async #realRootPath(): Promise<string> {
    this.#realRoot ??= await fs.realpath(this.#root);
    return this.#realRoot;
  }

  /** Resolves a path that must exist and must resolve inside the workspace. */
  async #resolveExisting(rel: string): Promise<string> {
    const full = rel === '' ? this.#root : path.join(this.#root, rel);
    return this.#inside(full, rel);
  }

  async #inside(full: string, rel: string): Promise<string> {
    let real: string;
    try {
      real = await fs.realpath(full);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', `no file or directory ${rel || '/'}`);
      throw err;
    }
    const root = await this.#realRootPath();
    if (real !== root && !real.startsWith(root + path.sep)) {
      throw new AppError('FORBIDDEN', `${rel} resolves outside the workspace`);
    }
    return real;
  }
}
