import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { AppError } from '@codeyard/common/errors';
import { checkKey, checkPrefix, type ObjectInfo, type ObjectStore, type PutOptions, type PutStreamOptions, type StoredObject } from './object-store.js';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix for everything Codeyard stores (`''` or ending in `/`). */
  prefix: string;
  region: string;
  /** For S3-compatible services (MinIO, R2, s3rver); AWS when absent. */
  endpoint?: string;
  forcePathStyle: boolean;
  /** Static credentials; the SDK's standard chain (env, profile, instance role) when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Objects larger than this go up in parts (S3 allows 5 GB in one PUT; parts retry alone). */
  multipartThreshold?: number;
}

const PART_SIZE = 8 * 1024 * 1024;

function status(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

function isMissing(err: unknown): boolean {
  return status(err) === 404 || (err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound'));
}

/**
 * The object store on S3 or anything that speaks its protocol. Keys are checked exactly as the
 * fs driver checks them, then put under the configured prefix. Listing follows continuation
 * tokens (S3 answers at most 1,000 keys a page), large objects are uploaded in parts, copies
 * are server-side, and failed requests are retried with backoff by the SDK.
 */
export class S3Store implements ObjectStore {
  readonly name = 's3';
  readonly #client: S3Client;
  readonly #o: S3StoreOptions;

  private constructor(options: S3StoreOptions) {
    this.#o = options;
    this.#client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      maxAttempts: 5,
    });
  }

  /** Opens the store and checks, once, that the bucket is there and the credentials work. */
  static async open(options: S3StoreOptions): Promise<S3Store> {
    const store = new S3Store({ ...options, prefix: options.prefix ? checkPrefix(options.prefix) : '' });
    const where = `bucket ${options.bucket}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    try {
      await store.#client.send(new HeadBucketCommand({ Bucket: options.bucket }));
    } catch (err) {
      store.#client.destroy();
      const code = status(err);
      if (code === 404) throw new Error(`the S3 ${where} does not exist: create it, or fix CODEYARD_STORE`);
      if (code === 403 || code === 401) throw new Error(`the S3 ${where} refused these credentials: check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or CODEYARD_S3_*)`);
      throw new Error(`cannot reach the S3 ${where}: ${(err as Error).message}`);
    }
    return store;
  }

  #key(key: string): string {
    return this.#o.prefix + checkKey(key);
  }

  async get(key: string): Promise<Buffer | undefined> {
    return (await this.getObject(key))?.body;
  }

  async getObject(key: string): Promise<StoredObject | undefined> {
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#o.bucket, Key: this.#key(key) }));
      const body = Buffer.from(await res.Body!.transformToByteArray());
      return { body, metadata: res.Metadata ?? {} };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw this.#wrap(err, `read ${key}`);
    }
  }

  async getStream(key: string): Promise<{ body: Readable; size: number } | undefined> {
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#o.bucket, Key: this.#key(key) }));
      return { body: res.Body as Readable, size: res.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw this.#wrap(err, `read ${key}`);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.#o.bucket, Key: this.#key(key) }));
      return { key: checkKey(key), size: res.ContentLength ?? 0, modifiedAt: res.LastModified ?? new Date(0), metadata: res.Metadata ?? {} };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw this.#wrap(err, `look up ${key}`);
    }
  }

  async put(key: string, body: Buffer | string, options: PutOptions = {}): Promise<void> {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    const Key = this.#key(key);
    const Metadata = options.metadata ?? {};
    try {
      if (data.length <= (this.#o.multipartThreshold ?? 16 * 1024 * 1024)) {
        await this.#client.send(new PutObjectCommand({ Bucket: this.#o.bucket, Key, Body: data, Metadata }));
        return;
      }
      // S3 shows the object only once the upload completes: readers see the old or the new one.
      const { UploadId } = await this.#client.send(new CreateMultipartUploadCommand({ Bucket: this.#o.bucket, Key, Metadata }));
      try {
        const parts = [];
        for (let offset = 0, n = 1; offset < data.length; offset += PART_SIZE, n++) {
          const res = await this.#client.send(new UploadPartCommand({ Bucket: this.#o.bucket, Key, UploadId, PartNumber: n, Body: data.subarray(offset, offset + PART_SIZE) }));
          parts.push({ ETag: res.ETag, PartNumber: n });
        }
        await this.#client.send(new CompleteMultipartUploadCommand({ Bucket: this.#o.bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
      } catch (err) {
        await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#o.bucket, Key, UploadId })).catch(() => undefined);
        throw err;
      }
    } catch (err) {
      throw this.#wrap(err, `write ${key}`);
    }
  }

  /**
   * Up to one part is held in memory: a body that ends within it goes up in one PUT, a longer
   * one in parts of PART_SIZE as they fill. `check` runs before the PUT or the completion, so a
   * refused body never becomes an object (its parts are aborted).
   */
  async putStream(key: string, body: Readable, options: PutStreamOptions = {}): Promise<void> {
    const Key = this.#key(key);
    const Bucket = this.#o.bucket;
    let UploadId: string | undefined;
    const parts: Array<{ ETag?: string; PartNumber: number }> = [];
    const sendPart = async (data: Buffer): Promise<void> => {
      UploadId ??= (await this.#client.send(new CreateMultipartUploadCommand({ Bucket, Key, Metadata: options.metadata ?? {} }))).UploadId;
      const PartNumber = parts.length + 1;
      const res = await this.#client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: data }));
      parts.push({ ETag: res.ETag, PartNumber });
    };
    try {
      let held: Buffer[] = [];
      let size = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        held.push(chunk);
        size += chunk.length;
        if (size < PART_SIZE) continue;
        const all = Buffer.concat(held, size);
        let offset = 0;
        for (; all.length - offset >= PART_SIZE; offset += PART_SIZE) await sendPart(all.subarray(offset, offset + PART_SIZE));
        held = offset < all.length ? [all.subarray(offset)] : [];
        size = all.length - offset;
      }
      await options.check?.();
      const rest = Buffer.concat(held, size);
      if (UploadId === undefined) {
        await this.#client.send(new PutObjectCommand({ Bucket, Key, Body: rest, Metadata: options.metadata ?? {} }));
        return;
      }
      if (rest.length) await sendPart(rest);
      await this.#client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      if (UploadId !== undefined) await this.#client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
      body.destroy();
      throw this.#wrap(err, `write ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#o.bucket, Key: this.#key(key) }));
    } catch (err) {
      if (!isMissing(err)) throw this.#wrap(err, `delete ${key}`);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const Prefix = this.#o.prefix + checkPrefix(prefix);
    let ContinuationToken: string | undefined;
    do {
      let res;
      try {
        res = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#o.bucket, Prefix, ContinuationToken }));
      } catch (err) {
        throw this.#wrap(err, `list ${prefix}`);
      }
      for (const object of res.Contents ?? []) {
        // Listings carry no user metadata: read it with head() or getObject() where it matters.
        yield { key: object.Key!.slice(this.#o.prefix.length), size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0), metadata: {} };
      }
      ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async copy(from: string, to: string): Promise<void> {
    const source = this.#key(from);
    try {
      await this.#client.send(
        new CopyObjectCommand({ Bucket: this.#o.bucket, Key: this.#key(to), CopySource: `${this.#o.bucket}/${source.split('/').map(encodeURIComponent).join('/')}`, MetadataDirective: 'COPY' }),
      );
    } catch (err) {
      if (isMissing(err)) throw new AppError('NOT_FOUND', `no object ${from} to copy`);
      throw this.#wrap(err, `copy ${from}`);
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  #wrap(err: unknown, what: string): Error {
    if (err instanceof AppError) return err;
    return new AppError('UNAVAILABLE', `the object store could not ${what}: ${(err as Error).message}. Files are kept where they were; try again`, undefined, { cause: err });
  }
}
