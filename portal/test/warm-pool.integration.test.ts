import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requestOverSocket } from '@codeyard/common/http-client';
import { isReplId } from '@codeyard/common/repl-id';
import type { ReplView } from '../src/repls/repl-service.js';
import { eventually, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';
import { replDirs } from '../src/runtime/process/repl-folders.js';

/** The warm pool, with the real runtime: sandboxes started ahead, taken by a create, refilled. */
describe('warm pool', { timeout: 240_000 }, () => {
  let t: TestPortal;
  let token: string;
  const warmIds = (): string[] =>
    fs.readdirSync(path.join(t.dataDir, 'repls')).filter((name) => isReplId(name) && fs.existsSync(path.join(t.dataDir, 'repls', name, 'pids.json')) === false && fs.existsSync(path.join(replDirs(path.join(t.dataDir, 'repls'), name).run, 'agent.sock')));

  before(async () => {
    // The whole suite keeps this machine busy: the pool must not wait for a quiet moment here.
    t = await startTestPortal({ env: { CODEYARD_WARM_POOL: '1', CODEYARD_WARM_POOL_MAX_LOAD: '100000', CODEYARD_SYNC_DEBOUNCE_MS: '200' }, warmStacks: ['node'] });
    token = await t.newToken();
  });
  after(() => t?.close());

  it('keeps a sandbox started ahead that belongs to nobody', async () => {
    await eventually(async () => t.runtime.warmCounts().node === 1, 'a warm node sandbox', 90_000);
    const [id] = warmIds();
    assert.ok(id, 'its folder is there');
    // Nobody can reach it: it is no repl yet.
    assert.equal((await t.api(token, 'GET', `/api/repls/${id}`)).status, 404);
    const ide = await request(t.port, { host: `${id}.localhost:${t.port}`, path: '/', headers: { accept: 'application/json' } });
    assert.equal(ide.status, 404);
    assert.deepEqual(t.runtime.active(), [], 'not counted as running');
    // Its agent has no repl: no sync, no name.
    const socketPath = path.join(replDirs(path.join(t.dataDir, 'repls'), id).run, 'agent.sock');
    assert.equal((await requestOverSocket({ socketPath, path: '/info' })).status, 404);
    assert.equal((await requestOverSocket({ socketPath, path: '/sync' })).status, 404);
  });

  it('becomes a new repl: same id, the template restored, VS Code already up, and a refill', async () => {
    const [warmId] = warmIds();
    const t0 = Date.now();
    const created = await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'From the pool' });
    assert.equal(created.status, 201, created.body);
    const repl = created.json<ReplView>();
    assert.equal(repl.id, warmId, 'the repl took the warm sandbox');
    const started = await t.api(token, 'POST', `/api/repls/${repl.id}/start`);
    assert.equal(started.status, 200, started.body);
    const ms = Date.now() - t0;
    process.stdout.write(`# create + start from the warm pool: ${ms} ms\n`);
    assert.equal(started.json<ReplView>().status, 'running');
    const exec = (await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'head -1 index.js && echo $CODEYARD_REPL_ID' })).json();
    assert.match(exec.stdout, /Press Run/);
    // The agent knows its repl now (the extension shows it), and syncs to its workspace.
    const socketPath = path.join(replDirs(path.join(t.dataDir, 'repls'), repl.id).run, 'agent.sock');
    const info = JSON.parse((await requestOverSocket({ socketPath, path: '/info' })).body.toString());
    assert.equal(info.name, 'From the pool');
    assert.equal(info.previewUrl, repl.previewUrl);
    await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'echo pooled > made-here.txt' });
    await eventually(async () => (await t.workspaces.readFile(`workspaces/${repl.id}/`, 'made-here.txt').catch(() => undefined))?.toString() === 'pooled\n', 'the new file saved');
    // Run works as in any repl.
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/app/start`)).status, 200);
    await eventually(async () => (await request(t.port, { host: `${repl.id}-3000.localhost:${t.port}`, path: '/' })).body.includes('Hello from Node.js'), 'the app');
    // Another sandbox is started in its place.
    await eventually(async () => t.runtime.warmCounts().node === 1 && !warmIds().includes(repl.id), 'the pool refilled', 90_000);
  });

  it('starts the repl the ordinary way after a stop (its sandbox is a plain one now)', async () => {
    const repl = (await t.api(token, 'GET', '/api/repls')).json<ReplView[]>()[0]!;
    assert.equal((await t.api(token, 'POST', `/api/repls/${repl.id}/stop`)).json<ReplView>().status, 'stopped');
    assert.equal((await t.workspaces.readFile(`workspaces/${repl.id}/`, 'made-here.txt')).toString(), 'pooled\n');
    const again = await t.api(token, 'POST', `/api/repls/${repl.id}/start`);
    assert.equal(again.json<ReplView>().status, 'running');
    const exec = (await t.api(token, 'POST', `/api/repls/${repl.id}/exec`, { command: 'cat made-here.txt' })).json();
    assert.equal(exec.stdout, 'pooled\n');
  });

  it('ends the warm sandbox of a repl deleted before it ever started', async () => {
    await eventually(async () => t.runtime.warmCounts().node === 1, 'a warm node sandbox', 90_000);
    const [warmId] = warmIds();
    const repl = (await t.api(token, 'POST', '/api/repls', { stack: 'node', name: 'never started' })).json<ReplView>();
    assert.equal(repl.id, warmId, 'it took the warm sandbox');
    const pids = (await requestOverSocket({ socketPath: path.join(replDirs(path.join(t.dataDir, 'repls'), repl.id).run, 'agent.sock'), path: '/healthz' })).status;
    assert.equal(pids, 200, 'its agent runs');
    assert.equal((await t.api(token, 'DELETE', `/api/repls/${repl.id}`)).status, 204);
    assert.equal(fs.existsSync(path.join(t.dataDir, 'repls', repl.id)), false, 'its folder is gone');
    // No process of that sandbox is left (its bwrap names the repl as the hostname).
    const left = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return argv[argv.indexOf('--hostname') + 1] === repl.id;
      } catch {
        return false;
      }
    });
    assert.deepEqual(left, [], 'no process of the deleted repl');
    await eventually(async () => t.runtime.warmCounts().node === 1, 'the pool refilled', 90_000);
  });

  it('leaves nothing behind when the portal closes', async () => {
    const warm = warmIds();
    assert.equal(warm.length, 1);
    await t.runtime.close();
    assert.equal(fs.existsSync(path.join(t.dataDir, 'repls', warm[0]!)), false);
  });
});
