import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import zlib from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import yazl from 'yazl';
import { AppError, type ErrorCode } from '@codeyard/common/errors';
import { readArchive, type ArchiveFormat, type ArchiveLimits } from '../../src/archive/archive.js';

export const MTIME = 1_700_000_000_000;
export const MB = 1024 * 1024;
export const LIMITS: ArchiveLimits = { maxEntries: 10_000, maxTotalBytes: 50 * MB, maxFileBytes: 10 * MB };
export const FORMATS: ArchiveFormat[] = ['tar.gz', 'zip'];

/** A tar.gz made entry by entry, headers as given: for archives a real tool would never write. */
export async function tarGz(entries: Array<Partial<Header> & { name: string; body?: string | Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  const out = buffer(pack.pipe(zlib.createGzip()));
  for (const { body, ...header } of entries) pack.entry({ mtime: new Date(MTIME), ...header }, body ?? '');
  pack.finalize();
  return out;
}

/** Plain (uncompressed) tar bytes, for patching headers before gzipping. */
export async function rawTar(entries: Array<Partial<Header> & { name: string; body?: string }>): Promise<Buffer> {
  return zlib.gunzipSync(await tarGz(entries));
}

/** Rewrites the typeflag of the tar header at `offset` and fixes its checksum. */
export function setTypeflag(data: Buffer, offset: number, flag: string): void {
  data.write(flag, offset + 156, 'latin1');
  data.fill(' ', offset + 148, offset + 156);
  let sum = 0;
  for (let i = offset; i < offset + 512; i++) sum += data[i];
  data.write(`${sum.toString(8).padStart(6, '0')}\0 `, offset + 148, 'latin1');
}

/**
 * A zip made with yazl. yazl refuses unsafe names, so build with same-length placeholders and
 * patch the bytes afterwards (names are not covered by the CRC).
 */
export async function zipOf(add: (zip: yazl.ZipFile) => void, rename: Record<string, string> = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  add(zip);
  zip.end();
  const data = await buffer(zip.outputStream as Readable);
  for (const [from, to] of Object.entries(rename)) {
    assert.equal(Buffer.byteLength(from), Buffer.byteLength(to));
    for (let at = data.indexOf(from); at !== -1; at = data.indexOf(from, at + 1)) data.write(to, at);
  }
  return data;
}

/** Asserts readArchive() refuses with `code`, in a message naming `entry`. */
export async function refuses(data: Buffer, format: ArchiveFormat, code: ErrorCode, entry: string, limits = LIMITS): Promise<AppError> {
  let caught: unknown;
  await assert.rejects(readArchive(data, format, limits), (err) => ((caught = err), true));
  assert.ok(caught instanceof AppError, `expected an AppError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  const named = caught.message.includes(entry) || caught.message.includes(JSON.stringify(entry));
  assert.ok(named, `message should name ${JSON.stringify(entry)}: ${caught.message}`);
  return caught;
}
