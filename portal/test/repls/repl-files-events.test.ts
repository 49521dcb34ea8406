import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReplEvent } from '../../src/repls/repl-record.js';
import { type MemoryRepls, memoryRepls } from '../helpers/memory-repls.js';
import { nextEvent, refused } from '../helpers/repl-asserts.js';

describe('ReplService (on MemoryStore, MemoryRuntime and SQLite)', () => {
  let t: MemoryRepls;
  before(async () => {
    t = await memoryRepls({ runtime: { unavailableStacks: ['go'] } });
  });
  after(() => t?.close());

  describe('files (the stored copy while stopped)', () => {
    it('writes, reads, lists and deletes files', async () => {
      const repl = await t.service.create('u-files', 'node');
      assert.deepEqual(await t.service.files.write('u-files', repl.id, 'src/a.txt', Buffer.from('one')), { created: true });
      assert.deepEqual(await t.service.files.write('u-files', repl.id, 'src/a.txt', Buffer.from('two')), { created: false });
      assert.equal((await t.service.files.read('u-files', repl.id, 'src/a.txt')).toString(), 'two');
      assert.deepEqual((await t.service.files.list('u-files', repl.id, 'src')).map((e) => `${e.name}:${e.type}`), ['a.txt:file']);
      assert.ok((await t.service.files.list('u-files', repl.id, '')).some((e) => e.name === 'src' && e.type === 'directory'));
      await t.service.files.delete('u-files', repl.id, 'src/a.txt');
      await refused(t.service.files.read('u-files', repl.id, 'src/a.txt'), 'NOT_FOUND');
      await refused(t.service.files.read('u-files', repl.id, 'never.txt'), 'NOT_FOUND');
    });

    it('refuses paths that leave the workspace, and writes nothing anywhere for them', async () => {
      const repl = await t.service.create('u-traversal', 'node');
      const neighbour = await t.service.create('u-traversal', 'node');
      const before = await t.keys('');
      for (const bad of ['../x', 'a/../../x', `../${neighbour.id}/index.js`, '/etc/passwd', 'a\\..\\b', 'a\u0000b', './x', '']) {
        await refused(t.service.files.write('u-traversal', repl.id, bad, Buffer.from('escaped')), 'INVALID_PATH');
        await refused(t.service.files.read('u-traversal', repl.id, bad), 'INVALID_PATH');
        await refused(t.service.files.delete('u-traversal', repl.id, bad), 'INVALID_PATH');
      }
      await refused(t.service.files.list('u-traversal', repl.id, '..'), 'INVALID_PATH', /\.\./);
      assert.deepEqual(await t.keys(''), before);
    });

    it('holds a stored copy to the workspace quota', async () => {
      const l = await memoryRepls({ limits: { workspaceBytes: 64 * 1024 } });
      try {
        const repl = await l.service.create('u-quota', 'node');
        await refused(l.service.files.write('u-quota', repl.id, 'big.bin', Buffer.alloc(128 * 1024)), 'QUOTA_EXCEEDED', /quota/);
        await refused(l.service.files.read('u-quota', repl.id, 'big.bin'), 'NOT_FOUND');
      } finally {
        await l.close();
      }
    });

    it('refuses files while the repl is starting (they are moving), and asks the agent once it runs', async () => {
      const l = await memoryRepls({ runtime: { stepDelayMs: 50 } });
      try {
        const repl = await l.service.create('u-moving', 'node');
        const starting = l.service.start('u-moving', repl.id);
        await sleep(10);
        await refused(l.service.files.read('u-moving', repl.id, 'index.js'), 'CONFLICT', /starting/);
        await starting;
        // Running: the files are the live workspace's, through its agent (which the double does not serve).
        await refused(l.service.files.read('u-moving', repl.id, 'index.js'), 'UPSTREAM', /agent is not answering/);
      } finally {
        await l.close();
      }
    });
  });

  it("tells an account of its own repls' creation, renaming and deletion, and no one else", async () => {
    const theirs: ReplEvent[] = [];
    const offTheirs = t.service.watch('u-watch-other', (e) => theirs.push(e));
    const created = nextEvent(t.service, 'u-watch', (e) => e.type === 'repl' && e.repl.name === 'watched');
    const repl = await t.service.create('u-watch', 'node', 'watched');
    assert.equal(((await created) as { repl: { id: string } }).repl.id, repl.id);
    const renamed = nextEvent(t.service, 'u-watch', (e) => e.type === 'repl' && e.repl.id === repl.id && e.repl.name === 'renamed');
    await t.service.rename('u-watch', repl.id, 'renamed');
    await renamed;
    const deleted = nextEvent(t.service, 'u-watch', (e) => e.type === 'deleted');
    await t.service.remove('u-watch', repl.id);
    assert.deepEqual(await deleted, { type: 'deleted', id: repl.id });
    // The other account's own event comes after everything above: by then it would have seen them.
    const own = nextEvent(t.service, 'u-watch-other', (e) => e.type === 'repl');
    const mine = await t.service.create('u-watch-other', 'node');
    await own;
    offTheirs();
    assert.ok(theirs.length > 0);
    for (const e of theirs) assert.equal(e.type === 'repl' ? e.repl.id : e.id, mine.id, JSON.stringify(e));
  });

  it('signs an IDE link for the repl host alone, and a port link for that preview host alone', async () => {
    const repl = await t.service.create('u-link', 'node');
    const other = await t.service.create('u-link', 'node');
    const link = new URL(await t.service.ideLink('u-link', repl.id));
    assert.equal(link.host, `${repl.id}.localhost:8080`);
    assert.equal(link.pathname, '/_codeyard/auth');
    assert.match(link.searchParams.get('next') ?? '', /^\/\?folder=.*index\.js/);
    const ticket = link.searchParams.get('ticket')!;
    const check = t.signer.verify(ticket, { purpose: 'ticket', host: `${repl.id}.localhost` });
    assert.ok(check.ok, JSON.stringify(check));
    assert.equal(check.ok && check.grant.account, 'u-link');
    for (const host of [`${other.id}.localhost`, `${repl.id}-3000.localhost`, 'localhost']) {
      assert.deepEqual(t.signer.verify(ticket, { purpose: 'ticket', host }), { ok: false, reason: 'wrong-host' }, host);
    }
    assert.equal(t.signer.verify(ticket, { purpose: 'session', host: `${repl.id}.localhost` }).ok, false, 'a ticket is no session');

    const preview = new URL(await t.service.ideLink('u-link', repl.id, { port: 5000 }));
    assert.equal(preview.host, `${repl.id}-5000.localhost:8080`);
    assert.equal(preview.searchParams.get('next'), null, 'a preview opens at its root');
    assert.ok(t.signer.verify(preview.searchParams.get('ticket')!, { purpose: 'ticket', host: `${repl.id}-5000.localhost` }).ok);
    assert.deepEqual(t.signer.verify(preview.searchParams.get('ticket')!, { purpose: 'ticket', host: `${repl.id}.localhost` }), { ok: false, reason: 'wrong-host' });
  });
});
