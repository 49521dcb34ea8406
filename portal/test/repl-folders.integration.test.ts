import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ReplView } from '../src/repls/repl-service.js';
import { replDirs } from '../src/runtime/process/repl-folders.js';
import { isMountpoint } from '../src/runtime/process/workspace-volume.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';

/** A repl folder of the layout before private volumes (home, state… beside the workspace) is moved in. */
describe('repl folders of an earlier layout', { timeout: 240_000 }, () => {
  let t: TestPortal;
  let token: string;
  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_REPL_NETWORK: 'none' } });
    token = await t.newToken();
  });
  after(() => t?.close());

  it('keeps home and state when a repl made before private volumes starts', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('private volumes need a root portal');
    const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'old layout' })).json<ReplView>();
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'echo kept > ~/.in-home; mkdir -p ~/.cache/tool && echo cached > ~/.cache/tool/x' });
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/stop`)).status, 200);

    // A stopped repl's private volume is not mounted: mount it to turn the repl into the old
    // layout (the private folders back beside the workspace, no volume).
    const dirs = replDirs(path.join(t.dataDir, 'repls'), repl.id);
    assert.equal(isMountpoint(dirs.private), false, 'unmounted once the repl stopped');
    execFileSync('mount', ['-o', 'loop', dirs.privateVolume, dirs.private]);
    for (const name of ['home', 'state', 'run', 'etc', 'store']) execFileSync('cp', ['-a', path.join(dirs.private, name), path.join(dirs.base, name)]);
    execFileSync('umount', [dirs.private]);
    fs.rmSync(dirs.privateVolume);
    fs.rmSync(dirs.private, { recursive: true, force: true });

    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/start`)).status, 200);
    const seen = await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'cat ~/.in-home ~/.cache/tool/x; stat -c %U ~/.in-home' });
    assert.equal(seen.json().stdout, 'kept\ncached\nuser\n');
    for (const name of ['home', 'state', 'run', 'etc', 'store']) assert.equal(fs.existsSync(path.join(dirs.base, name)), false, `${name} moved into the private volume`);
    assert.ok(fs.existsSync(dirs.privateVolume), 'the repl has its private volume now');
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/stop`)).status, 200);
  });
});
