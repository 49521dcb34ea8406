import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FsStore } from '../../src/store/fs-store.js';
import { describeObjectStore } from './describe-object-store.js';

describeObjectStore('fs', () => FsStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-store-'))));

describe('fs store specifics', () => {
  it('never writes outside its directory, whatever the key', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-store-'));
    const store = await FsStore.open(path.join(base, 'store'));
    await assert.rejects(store.put('../../outside', 'x'));
    assert.deepEqual(fs.readdirSync(base), ['store']);
  });

  it('lists in key order, as S3 does', async () => {
    const store = await FsStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-store-')));
    for (const key of ['l/b', 'l/a/z', 'l/a-x', 'l/c/d/e']) await store.put(key, key);
    const keys: string[] = [];
    for await (const info of store.list('l/')) keys.push(info.key);
    assert.deepEqual(keys, ['l/a-x', 'l/a/z', 'l/b', 'l/c/d/e']);
  });

  it('leaves no temporary files behind', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-store-'));
    const store = await FsStore.open(root);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`k/${i % 3}`, `v${i}`)));
    assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), []);
  });
});
