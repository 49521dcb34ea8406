import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ManifestEntry, WorkspaceManifest } from '@codeyard/common/workspace-manifest';
import { uncoveredPaths } from '../src/sync/coverage.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A workspace on disk and a manifest built from it, which each case then bends. */
function workspace(): { dir: string; manifest: WorkspaceManifest } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cy-cover-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'app.js'), 'hello');
  fs.writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  fs.symlinkSync('src/app.js', path.join(dir, 'link'));
  fs.mkdirSync(path.join(dir, 'node_modules', 'x'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', 'x', 'big.js'), 'not saved by design');
  const file = (rel: string, text: string, executable = false): ManifestEntry => ({ type: 'file', size: Buffer.byteLength(text), hash: sha(text), mtimeMs: Math.floor(fs.statSync(path.join(dir, rel)).mtimeMs), ...(executable ? { executable: true } : {}) });
  const entries: Record<string, ManifestEntry> = { src: { type: 'dir' }, 'src/app.js': file('src/app.js', 'hello'), 'run.sh': file('run.sh', '#!/bin/sh\n', true), link: { type: 'link', target: 'src/app.js' } };
  return { dir, manifest: { format: 1, version: 1, savedAt: '', entries } };
}

describe('what a stored manifest does not hold', () => {
  it('is nothing when the store holds the workspace as it is (ignored folders aside)', async () => {
    const { dir, manifest } = workspace();
    assert.deepEqual(await uncoveredPaths(dir, manifest), []);
  });

  it('names new, changed, re-pointed and unstorable paths', async () => {
    const { dir, manifest } = workspace();
    fs.writeFileSync(path.join(dir, 'new.txt'), 'x');
    fs.writeFileSync(path.join(dir, 'src', 'app.js'), 'HELLO');
    fs.utimesSync(path.join(dir, 'src', 'app.js'), new Date(1_000_000), new Date(1_000_000));
    fs.rmSync(path.join(dir, 'link'));
    fs.symlinkSync('elsewhere', path.join(dir, 'link'));
    fs.chmodSync(path.join(dir, 'run.sh'), 0o644);
    fs.writeFileSync(path.join(dir, 'back\\slash.txt'), 'y');
    const found = await uncoveredPaths(dir, manifest);
    assert.deepEqual(found.sort(), ['"back\\\\slash.txt": a name the store cannot keep (rename it)', 'link: link not saved as it is', 'new.txt: not saved', 'run.sh: changed since it was saved', 'src/app.js: changed since it was saved'].sort());
  });

  it('compares content when the stored file has no mtime (a template file edited to the same size)', async () => {
    const { dir, manifest } = workspace();
    const entry = manifest.entries['src/app.js'] as Extract<ManifestEntry, { type: 'file' }>;
    delete entry.mtimeMs;
    assert.deepEqual(await uncoveredPaths(dir, manifest), [], 'same content');
    fs.writeFileSync(path.join(dir, 'src', 'app.js'), 'jello');
    assert.deepEqual(await uncoveredPaths(dir, manifest), ['src/app.js: changed since it was saved']);
  });

  it('does not read a huge ignore file (the defaults apply)', async () => {
    const { dir, manifest } = workspace();
    fs.writeFileSync(path.join(dir, 'new.txt'), 'x');
    fs.writeFileSync(path.join(dir, '.codeyardignore'), `new.txt\n${'#'.repeat(70 * 1024)}\n`);
    const found = await uncoveredPaths(dir, manifest);
    assert.ok(found.includes('new.txt: not saved'), found.join('; '));
  });
});
