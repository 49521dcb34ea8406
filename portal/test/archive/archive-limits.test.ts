import assert from 'node:assert/strict';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { writeArchive } from '../../src/archive/archive.js';
import { archiveWork, KeyedLimiter } from '../../src/archive/archive-limits.js';
import { request } from '../helpers/http.js';
import { startTestPortal, type TestPortal } from '../helpers/test-portal.js';

describe('KeyedLimiter', () => {
  it('admits perKey at once per key and total in all, refusing (429) beyond, never queueing', async () => {
    const limiter = new KeyedLimiter('heavy things', 2, 3);
    const a1 = limiter.acquire('a');
    const a2 = limiter.acquire('a');
    assert.throws(() => limiter.acquire('a'), (err: unknown) => err instanceof AppError && err.status === 429 && /2 heavy things of this account/.test(err.message));
    const b1 = limiter.acquire('b');
    assert.throws(() => limiter.acquire('c'), /server is busy with 3 heavy things/);
    a1();
    a1(); // a release counts once
    const c1 = limiter.acquire('c');
    assert.throws(() => limiter.acquire('b'), /busy/);
    for (const release of [a2, b1, c1]) release();
    await assert.rejects(limiter.run('a', async () => Promise.reject(new Error('task failed'))), /task failed/);
    assert.equal(await limiter.run('a', async () => 'slot freed after a failure'), 'slot freed after a failure');
  });
});

describe('archive imports and exports: heavy requests are capped', () => {
  let t: TestPortal;
  let token: string;
  before(async () => {
    t = await startTestPortal();
    token = await t.newToken();
  });
  after(() => t?.close());

  const importTar = (data: Buffer) =>
    request(t.port, { method: 'POST', path: '/api/repls/import?stack=static', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' }, body: data });

  it('answers 429 naming the limit while the portal is full of them, and works again after', async () => {
    const data = await buffer(writeArchive([{ path: 'index.html', type: 'file', body: Buffer.from('<h1>hi</h1>') }], 'tar.gz'));
    const created = await importTar(data);
    assert.equal(created.status, 201, created.body);
    const id = created.json<{ id: string }>().id;
    // Other accounts hold every slot of the process.
    const held = Array.from({ length: archiveWork.total }, (_, i) => archiveWork.acquire(`someone-else-${i}`));
    try {
      const refused = await importTar(data);
      assert.equal(refused.status, 429, refused.body);
      assert.match(refused.body, /busy with 8 archive imports and exports/);
      const exported = await t.api(token, 'GET', `/api/repls/${id}/archive`);
      assert.equal(exported.status, 429, exported.body);
    } finally {
      held.forEach((release) => release());
    }
    // Each finished export gives its slot back (three in a row pass a limit of two per account).
    for (let i = 0; i < 3; i++) assert.equal((await t.api(token, 'GET', `/api/repls/${id}/archive`)).status, 200);
    assert.equal((await importTar(data)).status, 201);
  });
});
