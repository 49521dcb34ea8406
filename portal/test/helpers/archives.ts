import { buffer } from 'node:stream/consumers';
import zlib from 'node:zlib';
import tar, { type Header } from 'tar-stream';

export const MTIME = 1_700_000_000_000;

/** A tar.gz made entry by entry, headers as given: for archives a real tool would never write. */
export async function tarGz(entries: Array<Partial<Header> & { name: string; body?: string | Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  const out = buffer(pack.pipe(zlib.createGzip()));
  for (const { body, ...header } of entries) pack.entry({ mtime: new Date(MTIME), ...header }, body ?? '');
  pack.finalize();
  return out;
}
