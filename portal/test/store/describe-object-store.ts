import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { deletePrefix, mapLimit, type ObjectStore } from '../../src/store/object-store.js';

async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list(prefix)) out.push(info.key);
  return out;
}

/**
 * The behaviour every object store driver must have. Run against fs here, and against S3
 * (s3rver on loopback) by the storage work: `describeObjectStore('s3', makeS3)`.
 */
export function describeObjectStore(name: string, make: () => Promise<ObjectStore>): void {
  describe(`object store: ${name}`, () => {
    let store: ObjectStore;
    before(async () => {
      store = await make();
    });
    after(() => store.close());

    it('puts, gets, heads and deletes', async () => {
      await store.put('a/b.txt', 'hello', { metadata: { mode: '755' } });
      assert.equal((await store.get('a/b.txt'))?.toString(), 'hello');
      const info = await store.head('a/b.txt');
      assert.equal(info?.size, 5);
      assert.deepEqual(info?.metadata, { mode: '755' });
      await store.put('a/b.txt', Buffer.from('bye'));
      assert.deepEqual((await store.head('a/b.txt'))?.metadata, {}, 'a put replaces metadata too');
      await store.delete('a/b.txt');
      assert.equal(await store.get('a/b.txt'), undefined);
      assert.equal(await store.head('a/b.txt'), undefined);
      await store.delete('a/b.txt'); // no error when gone
    });

    it('lists recursively, under a prefix only', async () => {
      for (const key of ['l/b', 'l/a/z', 'l/a-x', 'l/c/d/e', 'lx/no']) await store.put(key, key);
      // Real S3 lists in UTF-8 byte order (as the fs driver does); s3rver not always: compare as sets.
      assert.deepEqual((await keysUnder(store, 'l/')).sort(), ['l/a-x', 'l/a/z', 'l/b', 'l/c/d/e']);
      assert.deepEqual(await keysUnder(store, 'l/c/'), ['l/c/d/e']);
      assert.deepEqual(await keysUnder(store, 'none/'), []);
    });

    it('copies objects with their metadata, and deletes prefixes', async () => {
      await store.put('src/x/1', 'one', { metadata: { mode: '755' } });
      await store.put('src/x/sub/2', 'two');
      await store.copy('src/x/1', 'dst/y/1');
      await store.copy('src/x/sub/2', 'dst/y/sub/2');
      assert.equal((await store.get('dst/y/sub/2'))?.toString(), 'two');
      assert.deepEqual((await store.head('dst/y/1'))?.metadata, { mode: '755' });
      assert.equal(await deletePrefix(store, 'dst/y/'), 2);
      assert.deepEqual(await keysUnder(store, 'dst/'), []);
      assert.equal((await store.get('src/x/1'))?.toString(), 'one', 'the source is untouched');
    });

    it('rejects keys that are not plain relative names', async () => {
      for (const key of ['../escape', 'a/../../b', '/abs', 'a//b', 'nul\u0000', 'ctl\u0007', '', 'a/./b']) {
        await assert.rejects(store.put(key, 'x'), (err: unknown) => err instanceof AppError && err.code === 'INVALID_PATH', JSON.stringify(key));
        await assert.rejects(store.get(key), AppError);
      }
      await assert.rejects(async () => keysUnder(store, '../'), AppError);
      await assert.rejects(async () => keysUnder(store, 'no-slash'), AppError);
    });

    it('reads content and metadata together', async () => {
      await store.put('meta/x.sh', '#!/bin/sh', { metadata: { mode: '755' } });
      assert.deepEqual(await store.getObject('meta/x.sh'), { body: Buffer.from('#!/bin/sh'), metadata: { mode: '755' } });
      assert.equal(await store.getObject('meta/none'), undefined);
    });

    it('lists more than 1,000 keys (S3 pages at 1,000)', async () => {
      const keys = Array.from({ length: 1105 }, (_, i) => `many/${String(i).padStart(5, '0')}`);
      await mapLimit(keys, 16, (key) => store.put(key, 'x'));
      const listed = await keysUnder(store, 'many/');
      assert.equal(listed.length, 1105);
      assert.deepEqual([...listed].sort(), keys);
    });

    it('keeps binary content byte for byte', async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await store.put('bin/all-bytes', bytes);
      assert.deepEqual(await store.get('bin/all-bytes'), bytes);
    });
    it('streams objects in, in one piece or in parts, and stores nothing when the check refuses', async () => {
      const chunk = Buffer.alloc(1024 * 1024, 7);
      // 9 MiB + 5 bytes: longer than one S3 part, so the parts path runs too.
      const pieces = () => Readable.from([...Array.from({ length: 9 }, () => chunk), Buffer.from('tail!')]);
      let checked = 0;
      await store.putStream('stream/big', pieces(), { metadata: { sha256: 'x' }, check: () => void checked++ });
      assert.equal(checked, 1);
      const back = await store.getObject('stream/big');
      assert.equal(back?.body.length, 9 * 1024 * 1024 + 5);
      assert.equal(back?.body.subarray(-5).toString(), 'tail!');
      assert.deepEqual(back?.metadata, { sha256: 'x' });
      const streamed = await store.getStream('stream/big');
      assert.equal(streamed?.size, 9 * 1024 * 1024 + 5);
      let read = 0;
      for await (const piece of streamed!.body) read += (piece as Buffer).length;
      assert.equal(read, 9 * 1024 * 1024 + 5);
      assert.equal(await store.getStream('stream/missing'), undefined);
      await store.putStream('stream/small', Readable.from([Buffer.from('small')]));
      assert.equal((await store.get('stream/small'))?.toString(), 'small');

      const refuse = () => {
        throw new AppError('CONFLICT', 'refused');
      };
      await assert.rejects(store.putStream('stream/small', Readable.from([Buffer.from('other')]), { check: refuse }), /refused/);
      assert.equal((await store.get('stream/small'))?.toString(), 'small', 'a refused body leaves the old object whole');
      await assert.rejects(store.putStream('stream/none', pieces(), { check: refuse }), /refused/);
      await assert.rejects(store.putStream('stream/none-small', Readable.from([Buffer.from('x')]), { check: refuse }), /refused/);
      const broken = new Readable({ read() {} });
      broken.push(chunk);
      setImmediate(() => broken.destroy(new Error('the writer went away')));
      await assert.rejects(store.putStream('stream/broken', broken), /went away/);
      assert.deepEqual((await keysUnder(store, 'stream/')).sort(), ['stream/big', 'stream/small']);
    });
  });
}
