import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { describeError, isAppError } from '../errors.js';
import { Fields } from './fields.js';

/**
 * The agent's one-off save (`codeyard-agent <config> --sync-once`: a stopped repl's workspace
 * left on disk is saved without starting the repl) reports how it went in this file, in its
 * state folder, for the runtime to read once the agent has exited.
 */
export const OFFLINE_SAVE_RESULT_FILE = 'offline-save.json';

export type OfflineSaveResult =
  /** The store holds the workspace as version `version`: `files` files, `bytes` bytes in all. */
  | { ok: true; version: number; files: number; bytes: number }
  /** Why not; the files stay on disk. */
  | { ok: false; error: string };

/** Checks a result's content (AppError('VALIDATION') naming the field). */
export function parseOfflineSaveResult(value: unknown): OfflineSaveResult {
  const f = Fields.of(value, 'the offline save result');
  if (f.optionalBoolean('ok')) return { ok: true, version: f.integer('version', 0), files: f.integer('files', 0), bytes: f.integer('bytes', 0) };
  return { ok: false, error: f.string('error') };
}

/** A result is a few numbers or one message: anything longer is not one. */
const MAX_RESULT_BYTES = 64 * 1024;

/**
 * Reads the result file. It lies in a folder the repl's user writes, so it is opened without
 * following a link and read only up to a small cap; a missing, oversized or malformed file is
 * an `ok: false` result saying so (its content is never echoed).
 */
export async function readOfflineSaveResult(file: string): Promise<OfflineSaveResult> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_RESULT_BYTES) return { ok: false, error: `${file} is not a save result` };
    const buffer = Buffer.alloc(stat.size);
    const { bytesRead } = await handle.read(buffer, 0, stat.size, 0);
    return parseOfflineSaveResult(JSON.parse(buffer.subarray(0, bytesRead).toString('utf8')));
  } catch (err) {
    if (isAppError(err)) return { ok: false, error: `${file} is not a save result: ${err.message}` };
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, error: 'the agent ended without reporting a result' };
    return { ok: false, error: `${file} is not a save result (${err instanceof SyntaxError ? 'not JSON' : (code ?? describeError(err))})` };
  } finally {
    await handle?.close();
  }
}

/** Writes the result where the runtime reads it (the agent's side). */
export function writeOfflineSaveResult(file: string, result: OfflineSaveResult): void {
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, JSON.stringify(result), { flag: 'wx', mode: 0o644 });
}
