import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { WorkspaceFiles } from '../src/workspace-files.js';

let root: string;
let outside: string;
let files: WorkspaceFiles;

function rejects(code: string) {
  return (err: unknown) => err instanceof AppError && err.code === code;
}

describe('WorkspaceFiles', () => {
  beforeEach(() => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-files-'));
    root = path.join(base, 'workspace');
    outside = path.join(base, 'secret');
    fs.mkdirSync(root);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'key'), 'top secret');
    fs.writeFileSync(path.join(root, 'index.js'), 'hello');
    files = new WorkspaceFiles(root);
  });

  it('writes (creating parents), reads, lists and deletes', async () => {
    assert.equal(await files.write('src/lib/a.txt', Buffer.from('A')), true);
    assert.equal(await files.write('src/lib/a.txt', Buffer.from('B')), false);
    assert.equal((await files.read('src/lib/a.txt', 1000)).toString(), 'B');
    assert.deepEqual((await files.list('')).map((e) => [e.name, e.type]), [['index.js', 'file'], ['src', 'directory']]);
    await files.remove('src');
    assert.equal(fs.existsSync(path.join(root, 'src')), false);
  });

  it('keeps the exec bit when a file is overwritten', async () => {
    fs.chmodSync(path.join(root, 'index.js'), 0o755);
    await files.write('index.js', Buffer.from('new'));
    assert.equal(fs.statSync(path.join(root, 'index.js')).mode & 0o777, 0o755);
  });

  it('refuses traversal in every operation', async () => {
    await assert.rejects(files.read('../secret/key', 1000), rejects('INVALID_PATH'));
    await assert.rejects(files.write('../secret/new', Buffer.from('x')), rejects('INVALID_PATH'));
    await assert.rejects(files.remove('../secret/key'), rejects('INVALID_PATH'));
    await assert.rejects(files.list('..'), rejects('INVALID_PATH'));
    await assert.rejects(files.read('/etc/passwd', 1000), rejects('INVALID_PATH'));
  });

  it('refuses symlinks that lead out of the workspace', async () => {
    fs.symlinkSync(outside, path.join(root, 'escape'));
    fs.symlinkSync(path.join(outside, 'key'), path.join(root, 'key-link'));
    await assert.rejects(files.read('escape/key', 1000), rejects('FORBIDDEN'));
    await assert.rejects(files.read('key-link', 1000), rejects('FORBIDDEN'));
    await assert.rejects(files.write('escape/planted', Buffer.from('x')), rejects('FORBIDDEN'));
    await assert.rejects(files.write('key-link', Buffer.from('overwritten')), rejects('FORBIDDEN'));
    await assert.rejects(files.list('escape'), rejects('FORBIDDEN'));
    assert.equal(fs.readFileSync(path.join(outside, 'key'), 'utf8'), 'top secret');
    assert.equal(fs.existsSync(path.join(outside, 'planted')), false);
    // Deleting the link removes the link, not what it points to.
    await files.remove('escape');
    assert.equal(fs.existsSync(path.join(outside, 'key')), true);
  });

  it('follows symlinks that stay inside', async () => {
    fs.symlinkSync('index.js', path.join(root, 'alias.js'));
    assert.equal((await files.read('alias.js', 1000)).toString(), 'hello');
  });

  it('refuses files over the size limit', async () => {
    await assert.rejects(files.read('index.js', 2), rejects('PAYLOAD_TOO_LARGE'));
  });

  it('answers 404 for what is not there', async () => {
    await assert.rejects(files.read('nope.txt', 1000), rejects('NOT_FOUND'));
    await assert.rejects(files.remove('nope.txt'), rejects('NOT_FOUND'));
  });
});
