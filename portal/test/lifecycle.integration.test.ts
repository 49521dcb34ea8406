import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readArchive, writeArchive } from '../src/archive/archive.js';
import type { ReplView } from '../src/repls/repl-service.js';
import { buffer } from 'node:stream/consumers';
import { tarGz } from './helpers/archives.js';
import { eventually, request } from './helpers/http.js';
import { startTestPortal, type TestPortal } from './helpers/test-portal.js';
import { replDirs } from '../src/runtime/process/repl-folders.js';

const LIMITS = { maxEntries: 100_000, maxTotalBytes: 1 << 30, maxFileBytes: 1 << 30 };

/** Fork, archive, import and delete: what users do with whole repls. */
describe('repl lifecycle: fork, archive, import', { timeout: 240_000 }, () => {
  let t: TestPortal;
  let alice: string;
  let bob: string;
  let source: ReplView;

  before(async () => {
    t = await startTestPortal({ env: { CODEYARD_IMPORT_MAX_FILES: '50', CODEYARD_IMPORT_MAX_MB: '2', CODEYARD_LIMIT_DISK_MB: '16', CODEYARD_SYNC_DEBOUNCE_MS: '200' } });
    alice = await t.newToken();
    bob = await t.newToken();
    source = (await t.api(alice, 'POST', '/api/repls', { stack: 'node', name: 'Source' })).json<ReplView>();
    assert.equal((await t.api(alice, 'PUT', `/api/repls/${source.id}/files/notes/a.txt`, 'from the source')).status, 201);
  });
  after(() => t?.close());

  const importTar = (token: string, data: Buffer, query = 'stack=node') =>
    request(t.port, { method: 'POST', path: `/api/repls/import?${query}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' }, body: data });
  const replCount = async (token: string): Promise<number> => (await t.api(token, 'GET', '/api/repls')).json<ReplView[]>().length;
  const storedPrefixes = async (): Promise<Set<string>> => {
    const ids = new Set<string>();
    for await (const info of t.store.list('workspaces/')) ids.add(info.key.split('/')[1]!);
    return ids;
  };

  it('forks a stopped repl into an independent copy', async () => {
    const res = await t.api(alice, 'POST', `/api/repls/${source.id}/fork`, {});
    assert.equal(res.status, 201);
    const fork = res.json<ReplView>();
    assert.notEqual(fork.id, source.id);
    assert.equal(fork.name, 'Source (fork)');
    assert.equal(fork.forkOf, source.id);
    assert.equal((await t.api(alice, 'GET', `/api/repls/${fork.id}/files/notes/a.txt`)).body, 'from the source');
    await t.api(alice, 'PUT', `/api/repls/${fork.id}/files/notes/a.txt`, 'changed in the fork');
    assert.equal((await t.api(alice, 'GET', `/api/repls/${source.id}/files/notes/a.txt`)).body, 'from the source', 'the source is untouched');
  });

  it("does not fork or download someone else's repl", async () => {
    assert.equal((await t.api(bob, 'POST', `/api/repls/${source.id}/fork`, {})).status, 404);
    assert.equal((await t.api(bob, 'GET', `/api/repls/${source.id}/archive`)).status, 404);
    assert.equal((await t.api(undefined, 'GET', `/api/repls/${source.id}/archive`)).status, 401);
  });

  it('downloads the workspace as tar.gz and as zip', async () => {
    const tgz = await request(t.port, { path: `/api/repls/${source.id}/archive`, headers: { authorization: `Bearer ${alice}` } });
    assert.equal(tgz.status, 200);
    assert.equal(tgz.headers['content-type'], 'application/gzip');
    assert.match(String(tgz.headers['content-disposition']), /attachment; filename="source\.tar\.gz"/);
    const entries = await readArchive(tgz.raw, 'tar.gz', LIMITS);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    assert.equal(byPath.get('notes/a.txt')?.body?.toString(), 'from the source');
    assert.ok(byPath.get('index.js')?.body?.includes('listen'));

    const zip = await request(t.port, { path: `/api/repls/${source.id}/archive?format=zip`, headers: { authorization: `Bearer ${alice}` } });
    assert.equal(zip.status, 200);
    assert.equal(zip.headers['content-type'], 'application/zip');
    assert.deepEqual((await readArchive(zip.raw, 'zip', LIMITS)).map((e) => e.path).sort(), entries.map((e) => e.path).sort());
    assert.equal((await t.api(alice, 'GET', `/api/repls/${source.id}/archive?format=rar`)).status, 400);
  });

  it('imports an archive into a new repl, and the download imports back the same', async () => {
    const data = await buffer(
      writeArchive(
        [
          { path: 'project/index.js', type: 'file', body: Buffer.from('console.log("imported")\n') },
          { path: 'project/bin/go.sh', type: 'file', body: Buffer.from('#!/bin/sh\necho go\n'), executable: true },
          { path: 'project/lib', type: 'link', target: 'bin' },
          { path: 'project/empty', type: 'dir' },
        ],
        'tar.gz',
      ),
    );
    const res = await importTar(alice, data, 'stack=node&name=Imported');
    assert.equal(res.status, 201, res.body);
    const repl = res.json<ReplView>();
    assert.equal(repl.name, 'Imported');
    // GitHub-style single top folder is taken off.
    assert.equal((await t.api(alice, 'GET', `/api/repls/${repl.id}/files/index.js`)).body, 'console.log("imported")\n');
    const listing = (await t.api(alice, 'GET', `/api/repls/${repl.id}/files`)).json<Array<{ name: string; type: string }>>();
    assert.deepEqual(listing.map((e) => `${e.name}:${e.type}`), ['bin:directory', 'empty:directory', 'index.js:file', 'lib:symlink']);
    const back = await request(t.port, { path: `/api/repls/${repl.id}/archive`, headers: { authorization: `Bearer ${alice}` } });
    const entries = await readArchive(back.raw, 'tar.gz', LIMITS);
    assert.equal(entries.find((e) => e.path === 'bin/go.sh')?.executable, true);
    assert.equal(entries.find((e) => e.path === 'lib')?.target, 'bin');
  });

  it('refuses unsafe or oversized archives with a clear error, and keeps nothing of them', async () => {
    const before = await replCount(alice);
    const prefixes = await storedPrefixes();
    const refusals: Array<[string, Buffer, number, RegExp]> = [
      ['traversal', await tarGz([{ name: 'ok.txt', body: 'x' }, { name: '../evil.txt', body: 'x' }]), 400, /UNSAFE_ARCHIVE.*evil\.txt/],
      ['absolute path', await tarGz([{ name: '/etc/cron.d/evil', body: 'x' }]), 400, /UNSAFE_ARCHIVE.*etc\/cron\.d\/evil/],
      ['link out', await tarGz([{ name: 'a.txt', body: 'x' }, { name: 'escape', type: 'symlink', linkname: '../../../../etc/passwd' }]), 400, /UNSAFE_ARCHIVE.*escape/],
      ['absolute link', await tarGz([{ name: 'a.txt', body: 'x' }, { name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }]), 400, /UNSAFE_ARCHIVE.*passwd/],
      ['too many files', await tarGz(Array.from({ length: 60 }, (_, i) => ({ name: `f/${i}.txt`, body: 'x' }))), 413, /ARCHIVE_TOO_LARGE/],
      ['bomb', await tarGz([{ name: 'zeros.bin', body: Buffer.alloc(20 * 1024 * 1024) }]), 413, /ARCHIVE_TOO_LARGE.*zeros\.bin/],
      ['not an archive', Buffer.from('hello, I am plain text'), 400, /INVALID_ARCHIVE/],
      ['upload too large', Buffer.alloc(3 * 1024 * 1024, 1), 413, /PAYLOAD_TOO_LARGE/],
    ];
    for (const [what, data, status, message] of refusals) {
      const res = await importTar(alice, data);
      assert.equal(res.status, status, `${what}: ${res.body}`);
      assert.match(res.body, message, what);
    }
    assert.equal((await importTar(alice, await tarGz([{ name: 'a', body: 'x' }]), 'stack=cobol')).status, 400);
    assert.equal((await importTar(alice, await tarGz([{ name: 'a', body: 'x' }]), '')).status, 400);
    assert.equal(await replCount(alice), before, 'no repl was created');
    assert.deepEqual(await storedPrefixes(), prefixes, 'no stored files were left behind');
  });

  it('forks and downloads a running repl with its latest, not yet synced, changes', async () => {
    assert.equal((await t.api(alice, 'POST', `/api/repls/${source.id}/start`)).status, 200);
    const exec = await t.api(alice, 'POST', `/api/repls/${source.id}/exec`, { command: 'echo "made by a command" > fresh.txt' });
    assert.equal(exec.json().exitCode, 0);
    const fork = (await t.api(alice, 'POST', `/api/repls/${source.id}/fork`, { name: 'Live fork' })).json<ReplView>();
    assert.equal((await t.api(alice, 'GET', `/api/repls/${fork.id}/files/fresh.txt`)).body, 'made by a command\n');
    await t.api(alice, 'POST', `/api/repls/${source.id}/exec`, { command: 'echo again > fresher.txt' });
    const tgz = await request(t.port, { path: `/api/repls/${source.id}/archive`, headers: { authorization: `Bearer ${alice}` } });
    const entries = await readArchive(tgz.raw, 'tar.gz', LIMITS);
    assert.equal(entries.find((e) => e.path === 'fresher.txt')?.body?.toString(), 'again\n');
    const view = (await t.api(alice, 'GET', `/api/repls/${source.id}`)).json<ReplView>();
    assert.equal(view.sync.state, 'synced');
  });

  it('saves a running repl on its own, through a relay socket only that repl can use', async () => {
    await t.api(alice, 'POST', `/api/repls/${source.id}/exec`, { command: 'mkdir -p out && echo auto > out/auto.txt' });
    await eventually(async () => (await t.workspaces.readFile(`workspaces/${source.id}/`, 'out/auto.txt').catch(() => undefined))?.toString() === 'auto\n', 'saved without a stop', 20_000);
    const inside = (await t.api(alice, 'POST', `/api/repls/${source.id}/exec`, { command: 'ls /run/codeyard-store; touch /run/codeyard-store/planted 2>/dev/null; echo "rc=$?"' })).json();
    assert.equal(inside.stdout, 'store.sock\nrc=1\n', 'the repl sees its own socket in a folder it cannot change');
    const socket = fs.statSync(replDirs(path.join(t.dataDir, 'repls'), source.id).storeSocket);
    assert.equal(socket.mode & 0o777, 0o600);
    if (process.getuid?.() === 0) {
      const uid = Number(fs.readFileSync(path.join(t.dataDir, 'repls', source.id, 'uid'), 'utf8'));
      assert.equal(socket.uid, uid, "owned by this repl's uid alone");
    }
    await t.api(alice, 'POST', `/api/repls/${source.id}/stop`);
    assert.equal(fs.existsSync(replDirs(path.join(t.dataDir, 'repls'), source.id).storeSocket), false, 'the relay ends with the repl');
  });

  it('deletes a repl with everything stored for it', async () => {
    const fork = (await t.api(alice, 'POST', `/api/repls/${source.id}/fork`, {})).json<ReplView>();
    assert.ok((await storedPrefixes()).has(fork.id));
    assert.equal((await t.api(alice, 'DELETE', `/api/repls/${fork.id}`)).status, 204);
    const left: string[] = [];
    for await (const info of t.store.list('')) if (info.key.includes(fork.id)) left.push(info.key);
    assert.deepEqual(left, []);
  });
});
