import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { S3Store, type S3StoreOptions } from '../../src/store/s3-store.js';
import { describeObjectStore } from './describe-object-store.js';
import { freePort } from '../helpers/http.js';
import { type S3TestServer, startS3Server } from '../helpers/s3-server.js';

/** A real S3 protocol server (s3rver) on loopback; any S3 endpoint works the same way. */
let server: S3TestServer;
let options: S3StoreOptions;

before(async () => {
  server = await startS3Server();
  options = { bucket: server.bucket, prefix: 'suite/', region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, credentials: server.credentials };
});
after(() => server?.stop());

describeObjectStore('s3', () => S3Store.open(options));

describe('s3 store specifics', () => {
  it('uploads large objects in parts and reads them back whole', async () => {
    const store = await S3Store.open({ ...options, prefix: 'multipart/', multipartThreshold: 5 * 1024 * 1024 });
    const big = Buffer.alloc(20 * 1024 * 1024 + 3);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    await store.put('big.bin', big, { metadata: { mode: '755' } });
    const back = await store.getObject('big.bin');
    assert.equal(back?.body.length, big.length);
    assert.ok(back?.body.equals(big));
    assert.deepEqual(back?.metadata, { mode: '755' });
    await store.close();
  });

  it('keeps each prefix to itself', async () => {
    const a = await S3Store.open({ ...options, prefix: 'tenant-a/' });
    const b = await S3Store.open({ ...options, prefix: 'tenant-b/' });
    await a.put('same/key', 'from a');
    assert.equal(await b.get('same/key'), undefined);
    await Promise.all([a.close(), b.close()]);
  });

  // (s3rver does not check signatures on every call, so wrong credentials are not tested here.)
  it('says clearly at start when the bucket is missing or S3 is unreachable', async () => {
    await assert.rejects(S3Store.open({ ...options, bucket: 'no-such-bucket' }), /bucket no-such-bucket at .* does not exist/);
    const closed = await freePort();
    await assert.rejects(S3Store.open({ ...options, endpoint: `http://127.0.0.1:${closed}` }), /cannot reach the S3 bucket/);
  });
});
