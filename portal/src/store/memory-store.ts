import { Readable } from 'node:stream';
import { AppError } from '@codeyard/common/errors';
import { checkKey, checkPrefix, type ObjectInfo, type ObjectStore, type PutOptions, type PutStreamOptions, type StoredObject } from './object-store.js';

interface Entry {
  body: Buffer;
  metadata: Record<string, string>;
  modifiedAt: Date;
}

/**
 * A test double of {@link ObjectStore}: objects in a Map, gone when the process ends. For unit
 * tests that need a store in milliseconds; it runs through the same shared suite as the fs and
 * S3 drivers, so it behaves as they do: keys checked the same way, listings in UTF-8 byte order
 * (as S3) with no metadata, a put replacing content and metadata at once, a streamed put stored
 * only after its body was read whole and its check passed. Bodies and metadata are copied in
 * and out, so a caller changing a buffer afterwards changes nothing stored.
 */
export class MemoryStore implements ObjectStore {
  readonly name = 'memory';
  readonly #objects = new Map<string, Entry>();

  async get(key: string): Promise<Buffer | undefined> {
    return (await this.getObject(key))?.body;
  }

  async getObject(key: string): Promise<StoredObject | undefined> {
    const entry = this.#objects.get(checkKey(key));
    return entry && { body: Buffer.from(entry.body), metadata: { ...entry.metadata } };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const checked = checkKey(key);
    const entry = this.#objects.get(checked);
    return entry && { key: checked, size: entry.body.length, modifiedAt: entry.modifiedAt, metadata: { ...entry.metadata } };
  }

  async getStream(key: string): Promise<{ body: Readable; size: number } | undefined> {
    const entry = this.#objects.get(checkKey(key));
    // The entry's own buffer: a put meanwhile replaces the entry, never this buffer, so no mix.
    return entry && { body: Readable.from([entry.body]), size: entry.body.length };
  }

  async put(key: string, body: Buffer | string, options: PutOptions = {}): Promise<void> {
    this.#set(checkKey(key), typeof body === 'string' ? Buffer.from(body) : Buffer.from(body), options.metadata);
  }

  async putStream(key: string, body: Readable, options: PutStreamOptions = {}): Promise<void> {
    const checked = checkKey(key);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      await options.check?.();
    } catch (err) {
      body.destroy();
      throw err;
    }
    this.#set(checked, Buffer.concat(chunks), options.metadata);
  }

  async delete(key: string): Promise<void> {
    this.#objects.delete(checkKey(key));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const checked = checkPrefix(prefix);
    // A snapshot, sorted as S3 sorts (UTF-8 bytes): writes during the listing do not disturb it.
    const keys = [...this.#objects.keys()].filter((key) => key.startsWith(checked)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const key of keys) {
      const entry = this.#objects.get(key);
      if (entry) yield { key, size: entry.body.length, modifiedAt: entry.modifiedAt, metadata: {} };
    }
  }

  async copy(from: string, to: string): Promise<void> {
    const source = this.#objects.get(checkKey(from));
    const target = checkKey(to);
    if (!source) throw new AppError('NOT_FOUND', `no object ${from} to copy`);
    this.#set(target, source.body, source.metadata);
  }

  async close(): Promise<void> {
    // Nothing to release; the objects stay readable, as a reopened fs store's would.
  }

  #set(key: string, body: Buffer, metadata: Record<string, string> | undefined): void {
    this.#objects.set(key, { body, metadata: { ...metadata }, modifiedAt: new Date() });
  }
}
