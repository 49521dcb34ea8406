import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { WorkspaceFiles } from '../src/workspace-files.js';

/** A real full file system: a 256 KiB tmpfs (needs root, as the portal and CI run). */
function mountSmallVolume(dir: string): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a small tmpfs needs root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs here: ${String(err)}`;
  }
}

describe('WorkspaceFiles on a full volume', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-full-'));
  const skip = mountSmallVolume(root);
  after(() => {
    if (!skip) execFileSync('umount', [root]);
    fs.rmSync(root, { recursive: true, force: true });
  });
  before(() => {
    if (skip && process.env.CI) throw new Error(skip);
  });

  it('answers a write that does not fit with 413 QUOTA_EXCEEDED, "the workspace is full", and leaves nothing behind', { skip }, async () => {
    const files = new WorkspaceFiles(root);
    await files.write('small.txt', Buffer.from('kept'));
    await assert.rejects(files.write('dir/big.bin', Buffer.alloc(1024 * 1024, 1)), (err: unknown) => {
      assert.ok(err instanceof AppError, String(err));
      assert.equal(err.code, 'QUOTA_EXCEEDED');
      assert.equal(err.status, 413);
      assert.match(err.message, /the workspace is full/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(path.join(root, 'dir')), [], 'no temporary file is left taking the space');
    assert.equal(fs.readFileSync(path.join(root, 'small.txt'), 'utf8'), 'kept');
    // Room is still there for what fits.
    assert.equal(await files.write('after.txt', Buffer.from('ok')), true);
  });
});
