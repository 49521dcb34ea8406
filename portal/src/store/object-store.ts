import type { Readable } from 'node:stream';
import { mapLimit } from '@codeyard/common/concurrency';
import { AppError } from '@codeyard/common/errors';
import { checkRelativePath } from '@codeyard/common/paths';

/** One stored object as a listing or head() reports it. */
export interface ObjectInfo {
  key: string;
  size: number;
  modifiedAt: Date;
  /** Small string pairs kept with the object (S3 user metadata). */
  metadata: Record<string, string>;
}

/** An object's content with its metadata, as one read. */
export interface StoredObject {
  body: Buffer;
  metadata: Record<string, string>;
}

export interface PutOptions {
  metadata?: Record<string, string>;
}

export interface PutStreamOptions extends PutOptions {
  /**
   * Runs once every byte of the body was read and before the object becomes visible: if it
   * throws, nothing is stored and an older object under the key stays as it was. Callers hash
   * the body on its way in and compare here (a hostile writer's content never lands).
   */
  check?: () => void | Promise<void>;
}

/**
 * Where everything durable lives: templates, workspaces, repl and account records. Keys are
 * `/`-separated relative names, never host paths; every driver checks them the same way
 * ({@link checkKey}). Implementations: `fs` (a directory) and, later, `s3`.
 */
export interface ObjectStore {
  readonly name: string;
  get(key: string): Promise<Buffer | undefined>;
  /** Content and metadata in one read (S3 listings carry no metadata). */
  getObject(key: string): Promise<StoredObject | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** The content as a stream (large objects without holding them in memory). */
  getStream(key: string): Promise<{ body: Readable; size: number } | undefined>;
  /** Writes the whole object; readers see the old or the new version, never a mix. */
  put(key: string, body: Buffer | string, options?: PutOptions): Promise<void>;
  /**
   * Writes an object from a stream of any length with bounded memory (the fs driver through a
   * temporary file, S3 in one PUT or in parts); readers see the old or the new version.
   */
  putStream(key: string, body: Readable, options?: PutStreamOptions): Promise<void>;
  /** Removes the object; no error when it is already gone. */
  delete(key: string): Promise<void>;
  /**
   * Every object whose key starts with `prefix` (`''` or ending in `/`), in key order. Metadata
   * may be empty here (S3 lists none): use getObject() or head() where it matters.
   */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Copies inside the store (server-side where the backend can), metadata included. */
  copy(from: string, to: string): Promise<void>;
  close(): Promise<void>;
}

/** Checks a store key: relative, no `.`/`..` segments, no control characters. */
export function checkKey(key: string): string {
  return checkRelativePath(key, 'key');
}

/** Checks a listing prefix: empty, or a checked key followed by `/`. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return '';
  if (!prefix.endsWith('/')) throw new AppError('INVALID_PATH', `prefix must end with "/": ${JSON.stringify(prefix)}`);
  return `${checkKey(prefix.slice(0, -1))}/`;
}

/** Deletes every object under a prefix; answers how many. */
export async function deletePrefix(store: ObjectStore, prefix: string): Promise<number> {
  const keys: string[] = [];
  for await (const info of store.list(checkPrefix(prefix))) keys.push(info.key);
  await mapLimit(keys, 8, (key) => store.delete(key));
  return keys.length;
}

export { mapLimit };
