import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requestOverSocket } from '@codeyard/common/http-client';
import { FsStore } from '../../src/store/fs-store.js';
import { S3Store } from '../../src/store/s3-store.js';
import { sha256, WorkspaceStore } from '../../src/store/workspace-store.js';
import { eventually } from '../helpers/http.js';
import { startS3Server } from '../helpers/s3-server.js';
import { newEngine, snapshot, startRelay } from '../helpers/sync.js';
import { AGENT_BUNDLE } from '../helpers/test-portal.js';

const PREFIX = 'workspaces/aaaaaaaaaaaa/';

async function fsWorkspaces(): Promise<WorkspaceStore> {
  return new WorkspaceStore(await FsStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'cy-ws-store-'))));
}

function write(dir: string, rel: string, content: string | Buffer, mode = 0o644): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), content, { mode });
  fs.chmodSync(path.join(dir, rel), mode);
}

describe('workspace sync (agent engine ↔ relay ↔ store)', () => {
  it('restores files, exec bits, links and empty folders, and saves changes back', async () => {
    const workspaces = await fsWorkspaces();
    await workspaces.create(
      PREFIX,
      [
        { path: 'index.js', type: 'file', body: Buffer.from('console.log(1)\n') },
        { path: 'bin/run.sh', type: 'file', body: Buffer.from('#!/bin/sh\necho hi\n'), executable: true },
        { path: 'empty', type: 'dir' },
        { path: 'link-to-index', type: 'link', target: 'index.js' },
      ],
      Infinity,
    );
    const relay = await startRelay(workspaces, PREFIX);
    const { engine, workspace } = newEngine(relay.socketPath);
    assert.equal(await engine.prepare(), 'restored');
    assert.deepEqual(Object.keys(snapshot(workspace)).sort(), ['bin/', 'bin/run.sh', 'empty/', 'index.js', 'link-to-index']);
    assert.match(snapshot(workspace)['bin/run.sh']!, /^x /);
    assert.equal(fs.readlinkSync(path.join(workspace, 'link-to-index')), 'index.js');

    write(workspace, 'src/new.py', 'print(2)\n', 0o755);
    fs.rmSync(path.join(workspace, 'index.js'));
    fs.mkdirSync(path.join(workspace, 'another-empty'));
    write(workspace, 'node_modules/dep/index.js', 'regenerable');
    write(workspace, '.venv/bin/python', 'regenerable');
    write(workspace, 'build/out.txt', 'ignored by the repl own rules');
    write(workspace, '.codeyardignore', 'build/\n!.venv/\n');
    const status = await engine.flush();
    assert.equal(status.state, 'synced');
    const manifest = await workspaces.manifest(PREFIX);
    assert.equal(status.version, manifest.version);
    const paths = Object.keys(manifest.entries).sort();
    assert.ok(paths.includes('src/new.py') && paths.includes('another-empty') && paths.includes('.codeyardignore'));
    assert.ok(!paths.includes('index.js'), 'a deleted file is deleted in the store');
    assert.ok(!paths.some((p) => p.startsWith('node_modules')), 'node_modules is not saved by default');
    assert.ok(!paths.some((p) => p.startsWith('build')), '.codeyardignore patterns are honoured');
    assert.ok(paths.includes('.venv/bin/python'), '! in .codeyardignore brings a default back');
    assert.deepEqual(manifest.entries['src/new.py'], { ...manifest.entries['src/new.py'], executable: true });
    assert.deepEqual(manifest.entries['link-to-index'], { type: 'link', target: 'index.js' });
    // The removed file's content is gone from the store too.
    assert.equal(await workspaces.getBlob(PREFIX, sha256(Buffer.from('console.log(1)\n'))), undefined);

    // A second machine restores exactly that.
    const other = newEngine(relay.socketPath);
    await other.engine.prepare();
    const expected = snapshot(workspace);
    for (const key of Object.keys(expected)) if (key.startsWith('node_modules') || key.startsWith('build')) delete expected[key];
    assert.deepEqual(snapshot(other.workspace), expected);
    await Promise.all([engine.stop(), other.engine.stop()]);
    await relay.close();
  });

  it('restores again from scratch when an earlier restore was cut short', async () => {
    const workspaces = await fsWorkspaces();
    await workspaces.create(PREFIX, [{ path: 'a.txt', type: 'file', body: Buffer.from('stored') }], Infinity);
    const relay = await startRelay(workspaces, PREFIX);
    const { engine, workspace, stateDir } = newEngine(relay.socketPath);
    // What a restore killed half-way leaves: its marker and a partial file.
    fs.writeFileSync(path.join(stateDir, 'restore-incomplete'), '1');
    write(workspace, 'a.txt', 'sto');
    write(workspace, 'half-written-junk.tmp', 'x');
    assert.equal(await engine.prepare(), 'restored');
    assert.deepEqual(Object.keys(snapshot(workspace)), ['a.txt']);
    assert.equal(fs.readFileSync(path.join(workspace, 'a.txt'), 'utf8'), 'stored');
    assert.equal(fs.existsSync(path.join(stateDir, 'restore-incomplete')), false);
    await engine.stop();
    await relay.close();
  });

  it('keeps files an earlier run left unsaved and saves them (the workspace on disk wins)', async () => {
    const workspaces = await fsWorkspaces();
    await workspaces.create(PREFIX, [{ path: 'a.txt', type: 'file', body: Buffer.from('old') }], Infinity);
    const relay = await startRelay(workspaces, PREFIX);
    const { engine, workspace } = newEngine(relay.socketPath);
    write(workspace, 'a.txt', 'newer, never synced');
    assert.equal(await engine.prepare(), 'kept');
    await engine.flush();
    assert.equal((await workspaces.readFile(PREFIX, 'a.txt')).toString(), 'newer, never synced');
    await engine.stop();
    await relay.close();
  });

  it('uploads only what changed, and sees a change that kept size and mtime (hash)', async () => {
    const workspaces = await fsWorkspaces();
    const blobs: string[] = [];
    const relay = await startRelay(workspaces, PREFIX, { onBlob: (hash) => void blobs.push(hash) });
    const { engine, workspace } = newEngine(relay.socketPath);
    await engine.prepare();
    for (let i = 0; i < 200; i++) write(workspace, `files/f${i}.txt`, `file number ${i}\n`);
    await engine.flush();
    assert.equal(blobs.length, 200);

    blobs.length = 0;
    write(workspace, 'files/f7.txt', 'changed\n');
    const status = await engine.flush();
    assert.equal(blobs.length, 1, 'one changed file costs one upload');
    assert.equal((await workspaces.readFile(PREFIX, 'files/f7.txt')).toString(), 'changed\n');

    // Same size, mtime put back: only the content hash can tell.
    const file = path.join(workspace, 'files/f8.txt');
    fs.utimesSync(file, 1_700_000_000, 1_700_000_000);
    const touched = await engine.flush();
    assert.equal(touched.version, status.version + 1);
    fs.writeFileSync(file, 'FILE NUMBER 8\n');
    fs.utimesSync(file, 1_700_000_000, 1_700_000_000);
    assert.equal(fs.statSync(file).mtimeMs, 1_700_000_000_000);
    blobs.length = 0;
    const next = await engine.flush();
    assert.equal(next.version, touched.version + 1);
    assert.equal((await workspaces.readFile(PREFIX, 'files/f8.txt')).toString(), 'FILE NUMBER 8\n');
    assert.equal(blobs.length, 1);

    // Nothing changed: no upload, no new version.
    blobs.length = 0;
    assert.equal((await engine.flush()).version, next.version);
    assert.equal(blobs.length, 0);
    await engine.stop();
    await relay.close();
  });

  it('syncs on its own after edits (watch + debounce), and reports pending then synced', async () => {
    const workspaces = await fsWorkspaces();
    const relay = await startRelay(workspaces, PREFIX);
    const { engine, workspace } = newEngine(relay.socketPath, { debounceMs: 300 });
    await engine.prepare();
    engine.start();
    await engine.flush(); // the first scan also sets up the folder watches
    write(workspace, 'notes.md', '# hello\n');
    await eventually(async () => engine.status.state === 'pending' && engine.status.pending >= 1, 'the edit seen as pending', 3000);
    await eventually(async () => (await workspaces.readFile(PREFIX, 'notes.md').catch(() => undefined))?.toString() === '# hello\n', 'notes.md saved without a flush', 5000);
    await eventually(async () => engine.status.state === 'synced' && engine.status.pending === 0 && !!engine.status.lastSyncAt, 'synced again', 3000);
    // New folders are watched too.
    write(workspace, 'deep/er/file.txt', 'x');
    await eventually(async () => (await workspaces.readFile(PREFIX, 'deep/er/file.txt').catch(() => undefined))?.toString() === 'x', 'a file in a new folder saved', 5000);
    await engine.stop();
    await relay.close();
  });

  it('catches, in the next sync, files that changed while a sync was uploading', async () => {
    const workspaces = await fsWorkspaces();
    let engineWorkspace = '';
    let changedDuring = false;
    const relay = await startRelay(workspaces, PREFIX, {
      onBlob: () => {
        if (changedDuring || !engineWorkspace) return;
        changedDuring = true;
        for (let i = 0; i < 100; i++) write(engineWorkspace, `m/f${i}.txt`, `rewritten during the sync ${i} ${'!'.repeat(i)}\n`);
        write(engineWorkspace, 'm/added-during.txt', 'late\n');
      },
    });
    const { engine, workspace } = newEngine(relay.socketPath);
    await engine.prepare();
    for (let i = 0; i < 100; i++) write(workspace, `m/f${i}.txt`, `original ${i}\n`);
    engineWorkspace = workspace;
    await engine.flush();
    assert.ok(changedDuring);
    await engine.flush();
    const other = newEngine(relay.socketPath);
    await other.engine.prepare();
    assert.deepEqual(snapshot(other.workspace), snapshot(workspace));
    assert.equal(fs.readFileSync(path.join(other.workspace, 'm/f42.txt'), 'utf8'), `rewritten during the sync 42 ${'!'.repeat(42)}\n`);
    await Promise.all([engine.stop(), other.engine.stop()]);
    await relay.close();
  });

  it('keeps the last complete version when the agent is killed (kill -9) mid-sync', async () => {
    const workspaces = await fsWorkspaces();
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-kill-'));
    const workspace = path.join(base, 'workspace');
    const stateDir = path.join(base, 'state');
    fs.mkdirSync(stateDir);
    for (let i = 0; i < 50; i++) write(workspace, `v1/f${i}.txt`, `version one ${i}\n`);
    let child: ReturnType<typeof spawn> | undefined;
    let received = 0;
    const relay = await startRelay(workspaces, PREFIX, {
      onBlob: async () => {
        received++;
        if (received === 20 && child) {
          child.kill('SIGKILL');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
    });
    const config = path.join(base, 'agent.json');
    fs.writeFileSync(config, JSON.stringify({ replId: 'aaaaaaaaaaaa', workspace, controlSocket: path.join(base, 'a.sock'), tunnelSocket: path.join(base, 't.sock'), stateDir, app: { run: 'true' }, sync: { socket: relay.socketPath } }));
    const runOnce = (): Promise<number | null> =>
      new Promise((resolve) => {
        child = spawn(process.execPath, [AGENT_BUNDLE, config, '--sync-once'], { stdio: 'ignore' });
        child.on('exit', (code) => resolve(code));
      });
    // Version 1: saved whole.
    received = -1000;
    assert.equal(await runOnce(), 0);
    const v1 = snapshot(workspace);
    assert.equal((await workspaces.manifest(PREFIX)).version, 1);
    // Version 2 is cut short: the agent dies after 20 of 100 uploads.
    for (let i = 0; i < 50; i++) write(workspace, `v1/f${i}.txt`, `version two ${i}\n`);
    for (let i = 0; i < 50; i++) write(workspace, `v2/g${i}.txt`, `new in two ${i}\n`);
    received = 0;
    assert.equal(await runOnce(), null, 'the agent was killed');
    assert.equal((await workspaces.manifest(PREFIX)).version, 1, 'no half version was published');
    const restored = newEngine(relay.socketPath);
    await restored.engine.prepare();
    assert.deepEqual(snapshot(restored.workspace), v1, 'a restore gives version 1 exactly');
    // The next run saves everything; the uploads of the dead run are cleaned up.
    received = -1000;
    assert.equal(await runOnce(), 0);
    assert.equal((await workspaces.manifest(PREFIX)).version, 2);
    const again = newEngine(relay.socketPath);
    await again.engine.prepare();
    assert.deepEqual(snapshot(again.workspace), snapshot(workspace));
    await workspaces.gc(PREFIX, 0);
    let blobCount = 0;
    for await (const _ of workspaces.objects.list(`${PREFIX}blobs/`)) blobCount++;
    assert.equal(blobCount, 100, 'exactly the blobs version 2 names');
    await Promise.all([restored.engine.stop(), again.engine.stop()]);
    await relay.close();
  });
});

describe('workspace relay: what a repl may and may not do', () => {
  let workspaces: WorkspaceStore;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  before(async () => {
    workspaces = await fsWorkspaces();
    await workspaces.create('workspaces/bbbbbbbbbbbb/', [{ path: 'secret.txt', type: 'file', body: Buffer.from('another repl') }], Infinity);
    relay = await startRelay(workspaces, PREFIX, { quotaBytes: 1024 });
  });
  after(() => relay.close());
  const call = (method: string, p: string, body?: string) => requestOverSocket({ socketPath: relay.socketPath, method, path: p, body });

  it('only its owner may open the socket', () => {
    assert.equal(fs.statSync(relay.socketPath).mode & 0o777, 0o600);
  });

  it('refuses content that does not match its hash', async () => {
    const res = await call('PUT', `/blobs/${sha256(Buffer.from('a'))}`, 'b');
    assert.equal(res.status, 409);
    assert.match(res.body.toString(), /hashes to/);
  });

  it('refuses names that are not hashes, and cannot reach another workspace', async () => {
    for (const p of ['/blobs/..%2F..%2Fbbbbbbbbbbbb%2Fmanifest.json', '/blobs/abc', '/blobs/../../bbbbbbbbbbbb/manifest.json']) {
      const res = await call('GET', p);
      assert.ok([400, 404].includes(res.status), `${p}: ${res.status}`);
    }
    const theirs = (await workspaces.manifest('workspaces/bbbbbbbbbbbb/')).entries['secret.txt'];
    assert.equal(theirs?.type, 'file');
    const res = await call('GET', `/blobs/${theirs.type === 'file' ? theirs.hash : ''}`);
    assert.equal(res.status, 404, "another repl's content is not reachable by its hash");
  });

  it('refuses manifests with unsafe paths, unknown content, a stale base or over the quota', async () => {
    const hash = sha256(Buffer.from('x'));
    const manifest = (entries: object): string => JSON.stringify({ format: 1, version: 1, savedAt: '', entries });
    let res = await call('PUT', '/manifest?base=0', manifest({ '../escape': { type: 'dir' } }));
    assert.equal(res.status, 400);
    assert.match(res.body.toString(), /\.\./);
    res = await call('PUT', '/manifest?base=0', manifest({ 'a.txt': { type: 'file', size: 1, hash } }));
    assert.equal(res.status, 409);
    assert.match(res.body.toString(), /never uploaded/);
    assert.equal((await call('PUT', `/blobs/${hash}`, 'x')).status, 204);
    res = await call('PUT', '/manifest?base=5', manifest({ 'a.txt': { type: 'file', size: 1, hash } }));
    assert.equal(res.status, 409);
    assert.match(res.body.toString(), /STALE_VERSION/);
    res = await call('PUT', '/manifest?base=0', manifest({ 'a.txt': { type: 'file', size: 5000, hash } }));
    assert.equal(res.status, 413);
    res = await call('PUT', '/manifest?base=0', '{not json');
    assert.equal(res.status, 400);
    res = await call('PUT', '/manifest?base=0', manifest({ 'a.txt': { type: 'file', size: 1, hash } }));
    assert.equal(res.status, 200);
    assert.equal((await workspaces.readFile(PREFIX, 'a.txt')).toString(), 'x');
  });
});

describe('workspace sync against S3 (s3rver) through an outage', () => {
  it('reports degraded while S3 is down, retries, and catches up with nothing lost', async () => {
    const s3 = await startS3Server();
    const store = await S3Store.open({ bucket: s3.bucket, prefix: 'outage/', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
    const workspaces = new WorkspaceStore(store);
    const relay = await startRelay(workspaces, PREFIX);
    const { engine, workspace } = newEngine(relay.socketPath, { debounceMs: 200 });
    try {
      await engine.prepare();
      write(workspace, 'before.txt', 'saved before the outage\n');
      await engine.flush();
      engine.start();
      await s3.pause();
      write(workspace, 'during.txt', 'written while S3 was down\n');
      write(workspace, 'before.txt', 'changed while S3 was down\n');
      await eventually(async () => engine.status.state === 'degraded' && engine.status.pending >= 1, 'degraded while S3 is down', 30_000);
      assert.match(engine.status.reason ?? '', /object store/i);
      await s3.resume();
      await eventually(async () => engine.status.state === 'synced', 'synced once S3 is back', 60_000);
      assert.equal((await workspaces.readFile(PREFIX, 'during.txt')).toString(), 'written while S3 was down\n');
      assert.equal((await workspaces.readFile(PREFIX, 'before.txt')).toString(), 'changed while S3 was down\n');
    } finally {
      await engine.stop();
      await relay.close();
      await store.close();
      await s3.stop();
    }
  });
});
