import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { restoreWorkspace, saveWorkspace } from '../../src/runtime/workspace-copy.js';
import { FsStore } from '../../src/store/fs-store.js';

function temp(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cy-${name}-`));
}

describe('whole-workspace save and restore', () => {
  it('round-trips files, exec bits and symlinks, and skips regenerable folders', async () => {
    const store = await FsStore.open(temp('store'));
    const ws = temp('ws');
    fs.mkdirSync(path.join(ws, 'bin'));
    fs.writeFileSync(path.join(ws, 'bin', 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    fs.writeFileSync(path.join(ws, 'readme.md'), 'read me');
    fs.symlinkSync('readme.md', path.join(ws, 'link.md'));
    fs.mkdirSync(path.join(ws, 'node_modules', 'left-pad'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'node_modules', 'left-pad', 'index.js'), 'x');

    const saved = await saveWorkspace(store, ws, 'workspaces/r1/');
    assert.equal(saved.uploaded, 3);
    const restored = temp('restored');
    await restoreWorkspace(store, 'workspaces/r1/', restored);
    assert.equal(fs.readFileSync(path.join(restored, 'readme.md'), 'utf8'), 'read me');
    assert.equal(fs.statSync(path.join(restored, 'bin', 'run.sh')).mode & 0o111, 0o111);
    assert.equal(fs.readlinkSync(path.join(restored, 'link.md')), 'readme.md');
    assert.equal(fs.existsSync(path.join(restored, 'node_modules')), false);
  });

  it('deletes from the store what was deleted locally', async () => {
    const store = await FsStore.open(temp('store'));
    const ws = temp('ws');
    fs.writeFileSync(path.join(ws, 'a.txt'), 'a');
    fs.writeFileSync(path.join(ws, 'b.txt'), 'b');
    await saveWorkspace(store, ws, 'workspaces/r2/');
    fs.rmSync(path.join(ws, 'b.txt'));
    assert.deepEqual(await saveWorkspace(store, ws, 'workspaces/r2/'), { uploaded: 1, deleted: 1 });
    assert.equal(await store.get('workspaces/r2/b.txt'), undefined);
  });

  it('refuses to save a name the store cannot hold, naming it, with the store untouched', async () => {
    const store = await FsStore.open(temp('store'));
    const ws = temp('ws');
    fs.writeFileSync(path.join(ws, 'ok.txt'), 'ok');
    await saveWorkspace(store, ws, 'workspaces/r3/');
    fs.writeFileSync(path.join(ws, 'bad\nname.txt'), 'x');
    fs.rmSync(path.join(ws, 'ok.txt'));
    await assert.rejects(saveWorkspace(store, ws, 'workspaces/r3/'), (err: unknown) => err instanceof AppError && /cannot save "bad\\nname.txt".*rename it/.test(err.message));
    assert.equal((await store.get('workspaces/r3/ok.txt'))?.toString(), 'ok', 'nothing deleted by the failed save');
  });
});
