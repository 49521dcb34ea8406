import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { WorkspaceFiles } from '../src/workspace-files.js';
import { useSmallVolume } from './helpers/small-volume.js';

describe('WorkspaceFiles on a full volume', () => {
  const { root, skip } = useSmallVolume('full');

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
