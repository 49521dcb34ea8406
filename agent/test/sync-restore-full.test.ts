import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { WorkspaceManifest } from '@codeyard/common/workspace-manifest';
import { SyncEngine } from '../src/sync/sync-engine.js';
import type { WorkspaceRemote } from '../src/sync/store-client.js';
import { useSmallVolume } from './helpers/small-volume.js';


/** A test double of the relay: one stored 1 MB file, served from memory; counts downloads. */
function storedWorkspace(): WorkspaceRemote & { downloads: number } {
  const body = Buffer.alloc(1024 * 1024, 7);
  const hash = createHash('sha256').update(body).digest('hex');
  const manifest: WorkspaceManifest = { format: 1, version: 3, savedAt: new Date().toISOString(), entries: { 'big.bin': { type: 'file', size: body.length, hash } } };
  const remote = {
    downloads: 0,
    manifest: async () => manifest,
    download: async (_hash: string, file: string, mode: number) => {
      remote.downloads++;
      await fs.promises.writeFile(file, body, { mode });
    },
    upload: async () => undefined,
    commit: async () => manifest.version + 1,
  };
  return remote;
}

describe('a restore that does not fit the disk', () => {
  const { root, skip } = useSmallVolume('restore-full');

  it('fails once, for good, with what to do: no endless retries', { skip }, async () => {
    const remote = storedWorkspace();
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-restore-state-'));
    const engine = new SyncEngine({ workspace: root, stateDir, remote });
    const began = Date.now();
    await assert.rejects(engine.prepare(), /workspace disk is full \(ENOSPC\).*disk limit/);
    assert.ok(Date.now() - began < 5000, 'no backoff loop');
    assert.equal(remote.downloads, 1, 'tried once');
    assert.equal(engine.status.state, 'degraded');
    assert.equal(engine.status.permanent, true);
    assert.ok(fs.existsSync(path.join(stateDir, 'restore-incomplete')), 'the next start knows the restore did not finish');
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
});

describe('a save asked for while the restore runs', () => {
  it('is refused: a half-restored folder never becomes the stored version', async () => {
    const remote = storedWorkspace();
    let commits = 0;
    remote.commit = async () => ++commits;
    remote.download = () => new Promise(() => undefined); // the store stalls mid-restore
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-half-'));
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-half-state-'));
    const engine = new SyncEngine({ workspace, stateDir, remote });
    void engine.prepare();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(engine.status.state, 'restoring');
    await assert.rejects(engine.flush(), /not restored yet/);
    assert.equal(commits, 0, 'nothing was committed');
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
});
