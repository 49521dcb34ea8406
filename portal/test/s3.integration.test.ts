import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ReplView } from '../src/repls/repl-service.js';
import { S3Store } from '../src/store/s3-store.js';
import { WorkspaceStore } from '../src/store/workspace-store.js';
import { startS3Server } from './helpers/s3-server.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/** The whole repl life with CODEYARD_STORE=s3://…: templates, workspaces and records in S3. */
describe('with an S3 store', { timeout: 180_000 }, () => {
  let s3: Awaited<ReturnType<typeof startS3Server>>;
  let t: TestPortal;
  let token: string;

  before(async () => {
    s3 = await startS3Server();
    t = await startTestPortal({
      env: { CODEYARD_STORE: `s3://${s3.bucket}/codeyard`, CODEYARD_S3_ENDPOINT: s3.endpoint, CODEYARD_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId, CODEYARD_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey },
    });
    token = await t.newToken();
  });
  after(async () => {
    await t?.close();
    await s3?.stop();
  });

  it('creates, runs, stops and restarts a repl with its files kept in the bucket', async () => {
    assert.equal(t.store.name, 's3');
    const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    await t.api(token, 'PUT', `/api/repls/${repl.id}/files/run.sh`, '#!/bin/sh\necho from s3\n');
    await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'chmod +x run.sh' });
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/stop`)).json().status, 'stopped');
    assert.equal(fs.existsSync(path.join(t.dataDir, 'store')), false, 'nothing went to the local folder');

    // Straight from the bucket, under the configured prefix.
    const direct = await S3Store.open({ bucket: s3.bucket, prefix: 'codeyard/', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
    const manifest = await new WorkspaceStore(direct).manifest(`workspaces/${repl.id}/`);
    const entry = manifest.entries['run.sh'];
    assert.ok(entry?.type === 'file' && entry.executable, 'run.sh is stored with its exec bit');
    const stored = await direct.getObject(`workspaces/${repl.id}/blobs/${entry.hash}`);
    assert.equal(stored?.body.toString(), '#!/bin/sh\necho from s3\n');
    assert.deepEqual(stored?.metadata, { sha256: entry.hash });
    await direct.close();

    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    const run = (await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: './run.sh && cat index.js | head -1' })).json();
    assert.match(run.stdout, /^from s3\n\/\/ Press Run/);
  });

  it('keeps the files on this machine when S3 is down at stop, and saves them once it is back', async () => {
    const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node' })).json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    await t.api(token, 'PUT', `/api/repls/${repl.id}/files/outage.txt`, 'written before the outage');
    await s3.pause();
    try {
      const stop = await t.api(token, 'POST', `/api/repls/${repl.id}/stop`);
      assert.equal(stop.status, 503);
      assert.match(stop.body, /kept on this machine/);
      const view = (await t.api(token, 'GET', `/api/repls/${repl.id}`)).json<ReplView>();
      assert.equal(view.status, 'error');
      assert.equal(view.sync.state, 'degraded');
      assert.equal(fs.readFileSync(path.join(t.dataDir, 'repls', repl.id, 'workspace', 'outage.txt'), 'utf8'), 'written before the outage');
    } finally {
      await s3.resume();
    }
    const again = await t.api(token, 'POST', `/api/repls/${repl.id}/stop`);
    assert.equal(again.json<ReplView>().status, 'stopped', again.body);
    assert.equal((await t.workspaces.readFile(`workspaces/${repl.id}/`, 'outage.txt')).toString(), 'written before the outage');
    assert.equal(fs.existsSync(path.join(t.dataDir, 'repls', repl.id, 'workspace')), false, 'the local copy goes once the store has it');
  });
});
