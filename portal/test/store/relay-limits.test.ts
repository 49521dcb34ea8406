import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { RelayClient } from '@codeyard/agent/sync/store-client';
import { requestOverSocket } from '@codeyard/common/http-client';
import { FsStore } from '../../src/store/fs-store.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { S3Store } from '../../src/store/s3-store.js';
import { sha256, WorkspaceStore } from '../../src/store/workspace-store.js';
import { eventually } from '../helpers/http.js';
import { type S3TestServer, startS3Server } from '../helpers/s3-server.js';
import { startRelay } from '../helpers/sync.js';

const PREFIX = 'workspaces/cccccccccccc/';
const MB = 1024 * 1024;

/** `total` bytes of a repeatable pattern, made on the fly in 1 MiB pieces (never all in memory). */
function pattern(total: number, seed = 1): Readable {
  let sent = 0;
  const piece = Buffer.alloc(MB);
  for (let i = 0; i < piece.length; i++) piece[i] = (i * 31 + seed) & 0xff;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(MB, total - sent);
      sent += n;
      this.push(n === MB ? Buffer.from(piece) : piece.subarray(0, n));
    },
  });
}

async function hashOf(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A blob PUT to the relay with a streamed body; answers status and body. */
function put(socketPath: string, hash: string, size: number, body: Readable): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'PUT', path: `/blobs/${hash}`, headers: { host: 'relay', 'content-length': size } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    body.pipe(req);
  });
}

function manifest(entries: Record<string, { size: number; hash: string }>): string {
  return JSON.stringify({ format: 1, version: 1, savedAt: '', entries: Object.fromEntries(Object.entries(entries).map(([p, e]) => [p, { type: 'file', ...e }])) });
}

async function blobs(store: ObjectStore, prefix = PREFIX): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list(`${prefix}blobs/`)) out.push(info.key.slice(`${prefix}blobs/`.length));
  return out.sort();
}

describe('workspace relay: memory stays bounded', () => {
  it('streams a 300 MB upload to the fs store (RSS grows by less than 60 MB) and refuses a wrong hash without storing it', async () => {
    const store = await FsStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-relay-mem-')));
    const workspaces = new WorkspaceStore(store);
    const relay = await startRelay(workspaces, PREFIX, { quotaBytes: 1024 * MB });
    try {
      const size = 300 * MB;
      const hash = await hashOf(pattern(size));
      globalThis.gc?.();
      const start = process.memoryUsage().rss;
      let peak = start;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const res = await put(relay.socketPath, hash, size, pattern(size));
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      assert.equal(res.status, 204, res.body);
      assert.equal((await store.head(`${PREFIX}blobs/${hash}`))?.size, size);
      assert.ok(peak - start < 60 * MB, `RSS grew by ${((peak - start) / MB).toFixed(0)} MB while 300 MB went through`);

      const wrong = await put(relay.socketPath, sha256(Buffer.from('something else')), 20 * MB, pattern(20 * MB, 2));
      assert.equal(wrong.status, 409);
      assert.match(wrong.body, /hashes to/);
      assert.deepEqual(await blobs(store), [hash], 'the refused upload left nothing behind');
      assert.deepEqual(fs.readdirSync(path.join(store.root, 'tmp')), [], 'no temporary file either');
    } finally {
      await relay.close();
    }
  });
});

describe('workspace relay: uploads at once per repl', () => {
  it('answers 429 beyond the limit, and the agent retries until it goes through', async () => {
    const store = await FsStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-relay-busy-')));
    const workspaces = new WorkspaceStore(store);
    const relay = await startRelay(workspaces, PREFIX, { maxConcurrentUploads: 2 });
    try {
      // Two uploads hold their slot: headers and half the body sent, the rest later.
      const held = [0, 1].map((i) => {
        const body = Buffer.alloc(1000, i);
        const stream = new Readable({ read() {} });
        stream.push(body.subarray(0, 500));
        return { stream, rest: body.subarray(500), done: put(relay.socketPath, sha256(body), body.length, stream) };
      });
      const third = Buffer.from('third');
      await eventually(async () => (await requestOverSocket({ socketPath: relay.socketPath, method: 'PUT', path: `/blobs/${sha256(third)}`, body: third })).status === 429, 'the third upload is refused while two run', 5000);
      const busy = await requestOverSocket({ socketPath: relay.socketPath, method: 'PUT', path: `/blobs/${sha256(third)}`, body: third });
      assert.equal(busy.status, 429);
      assert.equal(busy.headers['retry-after'], '1');
      assert.match(busy.body.toString(), /RATE_LIMITED.*2 uploads/);

      // The agent's client waits and sends again; the held uploads end meanwhile.
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-relay-file-')), 'third.txt');
      fs.writeFileSync(file, third);
      const agent = new RelayClient(relay.socketPath).upload(sha256(third), file, third.length);
      setTimeout(() => held.forEach((h) => (h.stream.push(h.rest), h.stream.push(null))), 300);
      await agent;
      for (const h of held) assert.equal((await h.done).status, 204);
      assert.equal((await workspaces.getBlob(PREFIX, sha256(third)))?.toString(), 'third');
    } finally {
      await relay.close();
    }
  });
});

/** Uploads no manifest names count against the quota and are collected: run per store driver. */
function describeUnreferencedBlobs(name: string, make: () => Promise<ObjectStore>): void {
  describe(`unreferenced blobs through the relay (${name})`, () => {
    let store: ObjectStore;
    before(async () => {
      store = await make();
    });
    after(() => store.close());

    it('count against the quota at upload time until a manifest names them', async () => {
      const workspaces = new WorkspaceStore(store);
      const relay = await startRelay(workspaces, PREFIX, { quotaBytes: 100_000 });
      const call = (method: string, p: string, body?: Buffer | string) => requestOverSocket({ socketPath: relay.socketPath, method, path: p, body });
      try {
        const a = Buffer.alloc(60_000, 'a');
        const b = Buffer.alloc(60_000, 'b');
        assert.equal((await call('PUT', `/blobs/${sha256(a)}`, a)).status, 204);
        const refused = await call('PUT', `/blobs/${sha256(b)}`, b);
        assert.equal(refused.status, 413, 'a second upload nobody named would pass the quota');
        assert.match(refused.body.toString(), /QUOTA_EXCEEDED.*not yet saved in a manifest.*0\.1 MB quota/);
        assert.ok(!(await blobs(store)).includes(sha256(b)));
        // Once a manifest names the first, the second fits (as the next version's content).
        // (Also checked below: waiting uploads past their grace period make room.)
        assert.equal((await call('PUT', '/manifest?base=0', manifest({ 'a.txt': { size: a.length, hash: sha256(a) } }))).status, 200);
        assert.equal((await call('PUT', `/blobs/${sha256(b)}`, b)).status, 204);
      } finally {
        await relay.close();
      }
    });

    it('past their grace period, make room for a new upload instead of blocking it', async () => {
      const prefix = 'workspaces/ffffffffffff/';
      // A grace period long enough that the second upload is checked within it even on a loaded
      // machine against s3rver (300 ms was once not: the first had aged out, 204 instead of 413).
      const workspaces = new WorkspaceStore(store, { blobGraceMs: 2000 });
      const relay = await startRelay(workspaces, prefix, { quotaBytes: 100_000 });
      const call = (method: string, p: string, body?: Buffer) => requestOverSocket({ socketPath: relay.socketPath, method, path: p, body });
      try {
        const a = Buffer.alloc(60_000, 'c');
        const b = Buffer.alloc(60_000, 'd');
        assert.equal((await call('PUT', `/blobs/${sha256(a)}`, a)).status, 204);
        assert.equal((await call('PUT', `/blobs/${sha256(b)}`, b)).status, 413, 'while the first is young, it counts');
        await new Promise((r) => setTimeout(r, 2100));
        assert.equal((await call('PUT', `/blobs/${sha256(b)}`, b)).status, 204, 'once it is past its grace period, it makes room');
        assert.deepEqual(await blobs(store, prefix), [sha256(b)]);
      } finally {
        await relay.close();
      }
    });

    it('are collected after a grace period, never before their own commit', async () => {
      const prefix = 'workspaces/dddddddddddd/';
      const orphan = Buffer.from('uploaded, then the agent died');
      const workspaces = new WorkspaceStore(store, { blobGraceMs: 400 });
      const relay = await startRelay(workspaces, prefix);
      const call = (method: string, p: string, body?: Buffer | string) => requestOverSocket({ socketPath: relay.socketPath, method, path: p, body });
      try {
        const current = await workspaces.manifest(prefix);
        const keep = Buffer.from('kept by the manifest');
        const early = Buffer.from('uploaded just before the commit that names it');
        const junk = Buffer.from('never named by any manifest');
        for (const body of [keep, early, junk]) assert.equal((await call('PUT', `/blobs/${sha256(body)}`, body)).status, 204);
        // A commit that names only `keep`: `early` and `junk` are young, so they stay.
        let res = await call('PUT', `/manifest?base=${current.version}`, manifest({ 'keep.txt': { size: keep.length, hash: sha256(keep) } }));
        assert.equal(res.status, 200, res.body.toString());
        assert.ok((await blobs(store, prefix)).includes(sha256(early)), 'a young upload survives a commit that does not name it');
        res = await call('PUT', `/manifest?base=${current.version + 1}`, manifest({ 'keep.txt': { size: keep.length, hash: sha256(keep) }, 'early.txt': { size: early.length, hash: sha256(early) } }));
        assert.equal(res.status, 200, 'its own commit finds it');
        // Past the grace period, the next commit collects what nobody named.
        await new Promise((r) => setTimeout(r, 500));
        res = await call('PUT', `/manifest?base=${current.version + 2}`, manifest({ 'early.txt': { size: early.length, hash: sha256(early) } }));
        assert.equal(res.status, 200);
        assert.deepEqual(await blobs(store, prefix), [sha256(early)], 'the junk and the dropped file are gone');

        // An upload followed by no commit at all is swept when the relay closes (repl stop).
        assert.equal((await call('PUT', `/blobs/${sha256(orphan)}`, orphan)).status, 204);
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        await relay.close();
      }
      await eventually(async () => !(await blobs(store, prefix)).includes(sha256(orphan)), 'the orphan is swept at close', 5000);
      assert.deepEqual(await blobs(store, prefix), [sha256(Buffer.from('uploaded just before the commit that names it'))]);
    });
  });
}

let s3: S3TestServer | undefined;
after(() => s3?.stop());

describeUnreferencedBlobs('fs', async () => FsStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-relay-gc-'))));
describeUnreferencedBlobs('s3', async () => {
  s3 ??= await startS3Server();
  return S3Store.open({ bucket: s3.bucket, prefix: `gc-${Date.now()}/`, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
});

describe('S3 store: a streamed upload with a wrong hash is never stored', () => {
  it('aborts the parts of a 20 MB upload that does not hash to its name', async () => {
    s3 ??= await startS3Server();
    const store = await S3Store.open({ bucket: s3.bucket, prefix: `mismatch-${Date.now()}/`, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
    const relay = await startRelay(new WorkspaceStore(store), PREFIX);
    try {
      const res = await put(relay.socketPath, sha256(Buffer.from('not this')), 20 * MB, pattern(20 * MB));
      assert.equal(res.status, 409);
      assert.deepEqual(await blobs(store), []);
      const size = 20 * MB;
      const hash = await hashOf(pattern(size, 3));
      assert.equal((await put(relay.socketPath, hash, size, pattern(size, 3))).status, 204);
      assert.equal((await store.head(`${PREFIX}blobs/${hash}`))?.size, size);
    } finally {
      await relay.close();
      await store.close();
    }
  });
});
