import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../src/store/memory-store.js';
import { describeObjectStore } from './describe-object-store.js';

describeObjectStore('memory (test double)', async () => new MemoryStore());

describe('memory store specifics', () => {
  it('lists in key order, as S3 does', async () => {
    const store = new MemoryStore();
    for (const key of ['l/b', 'l/a/z', 'l/a-x', 'l/c/d/e', 'l/\u00e9', 'l/z']) await store.put(key, key);
    const keys: string[] = [];
    for await (const info of store.list('l/')) keys.push(info.key);
    assert.deepEqual(keys, ['l/a-x', 'l/a/z', 'l/b', 'l/c/d/e', 'l/z', 'l/\u00e9']);
  });

  it('keeps what was stored when the caller changes its buffers afterwards', async () => {
    const store = new MemoryStore();
    const body = Buffer.from('abc');
    await store.put('k', body, { metadata: { mode: '644' } });
    body.fill(0);
    const read = await store.get('k');
    assert.equal(read?.toString(), 'abc');
    read!.fill(0);
    (await store.head('k'))!.metadata.mode = '777';
    assert.deepEqual(await store.getObject('k'), { body: Buffer.from('abc'), metadata: { mode: '644' } });
  });

  it('refuses to copy a missing object', async () => {
    await assert.rejects(new MemoryStore().copy('none', 'x'), /no object none/);
  });
});
