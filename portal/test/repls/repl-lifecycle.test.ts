import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPL_ID_PATTERN } from '@codeyard/common/repl-id';
import { type MemoryRepls, memoryRepls } from '../helpers/memory-repls.js';
import { nextEvent, refused } from '../helpers/repl-asserts.js';

/** Creation times are milliseconds: a pause makes "newest first" a fact, not a coin toss. */
const tick = () => sleep(3);

describe('ReplService (on MemoryStore, MemoryRuntime and SQLite)', () => {
  let t: MemoryRepls;
  before(async () => {
    t = await memoryRepls({ runtime: { unavailableStacks: ['go'] } });
  });
  after(() => t?.close());

  describe('create', () => {
    it("makes a stopped repl of the stack with the template's files, with a two-word name unless named", async () => {
      const node = t.templates.find((tpl) => tpl.manifest.id === 'node')!;
      const repl = await t.service.create('u-create', 'node');
      assert.match(repl.id, REPL_ID_PATTERN);
      assert.match(repl.name, /^[a-z]+-[a-z]+$/);
      assert.equal(repl.stack, 'node');
      assert.equal(repl.owner, 'u-create');
      assert.equal(repl.templateVersion, node.version);
      assert.equal(t.runtime.status(repl.id).state, 'stopped');
      const files = await t.service.files.list('u-create', repl.id, '');
      assert.deepEqual(files.map((f) => f.name).sort(), [...new Set(node.files.map((f) => f.split('/')[0]!))].sort());
      assert.equal((await t.service.create('u-create', 'node', '  Named  ')).name, 'Named', 'the name is trimmed');
    });

    it('refuses an unknown stack naming the known ones, and keeps nothing', async () => {
      await refused(t.service.create('u-unknown', 'cobol'), 'UNKNOWN_STACK', /unknown stack "cobol"; known stacks: .*node.*python/);
      assert.deepEqual(await t.service.list('u-unknown'), []);
    });

    it('refuses a stack this host cannot run', async () => {
      await refused(t.service.create('u-unknown', 'go'), 'STACK_UNAVAILABLE', /not available here/);
      assert.deepEqual(await t.service.list('u-unknown'), []);
    });

    it('refuses an empty, too long or unprintable name (VALIDATION), and stores no files for it', async () => {
      const before = await t.keys('workspaces/');
      for (const name of ['', '   ', 'x'.repeat(65), 'a\u0000b', 'new\nline']) {
        await refused(t.service.create('u-badname', 'node', name), 'VALIDATION', /name/);
      }
      assert.deepEqual(await t.service.list('u-badname'), []);
      assert.deepEqual(await t.keys('workspaces/'), before);
    });
  });

  it("lists an account's repls newest first, and only its own", async () => {
    const a = await t.service.create('u-list', 'node', 'first');
    await tick();
    const other = await t.service.create('u-list-other', 'node', 'not yours');
    await tick();
    const b = await t.service.create('u-list', 'python', 'second');
    await tick();
    const c = await t.service.create('u-list', 'static', 'third');
    assert.deepEqual((await t.service.list('u-list')).map((r) => r.id), [c.id, b.id, a.id]);
    assert.deepEqual((await t.service.list('u-list-other')).map((r) => r.id), [other.id]);
    assert.deepEqual(await t.service.list('u-nobody'), []);
  });

  it("answers another account's repl as one that does not exist, everywhere, and changes nothing of it", async () => {
    const repl = await t.service.create('u-owner', 'node', 'mine');
    const s = t.service;
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['get', () => s.get('u-stranger', repl.id)],
      ['rename', () => s.rename('u-stranger', repl.id, 'taken')],
      ['start', () => s.start('u-stranger', repl.id)],
      ['stop', () => s.stop('u-stranger', repl.id)],
      ['listFiles', () => s.files.list('u-stranger', repl.id, '')],
      ['readFile', () => s.files.read('u-stranger', repl.id, 'index.js')],
      ['writeFile', () => s.files.write('u-stranger', repl.id, 'index.js', Buffer.from('overwritten'))],
      ['deleteFile', () => s.files.delete('u-stranger', repl.id, 'index.js')],
      ['setPortVisibility', () => s.setPortVisibility('u-stranger', repl.id, 5000, 'public')],
      ['remove', () => s.remove('u-stranger', repl.id)],
      ['fork', () => s.fork('u-stranger', repl.id)],
      ['ideLink', () => s.ideLink('u-stranger', repl.id)],
      ['app', () => s.apps.state('u-stranger', repl.id)],
      ['startApp', () => s.apps.start('u-stranger', repl.id)],
      ['restart the app', () => s.apps.start('u-stranger', repl.id, { restart: true })],
      ['exec', () => s.apps.exec('u-stranger', repl.id, { command: 'id' })],
      ['archive', () => s.archive('u-stranger', repl.id)],
    ];
    for (const [what, call] of calls) await refused(call(), 'NOT_FOUND', new RegExp(`no repl ${repl.id}`)).catch((err: Error) => assert.fail(`${what}: ${err.message}`));
    // Not an id at all is the same answer.
    await refused(s.get('u-owner', '../etc'), 'NOT_FOUND');

    const after = await s.get('u-owner', repl.id);
    assert.equal(after.name, 'mine');
    assert.equal(after.ports, undefined);
    assert.equal(t.runtime.status(repl.id).state, 'stopped');
    assert.notEqual((await s.files.read('u-owner', repl.id, 'index.js')).toString(), 'overwritten');
    assert.deepEqual(await s.list('u-stranger'), [], 'no fork was made for the stranger');
  });

  describe('limits', () => {
    it('refuses one repl over the repl limit (create and fork), naming the limit, until one is deleted', async () => {
      const l = await memoryRepls({ limits: { repls: 2 } });
      try {
        const first = await l.service.create('u-full', 'node');
        await l.service.create('u-full', 'node');
        await refused(l.service.create('u-full', 'node'), 'LIMIT_REACHED', /has 2 repls, the most it may have \(the repl limit\)/);
        await refused(l.service.fork('u-full', first.id), 'LIMIT_REACHED', /the repl limit/);
        const kept = await l.service.list('u-full');
        assert.equal(kept.length, 2);
        assert.deepEqual([...new Set((await l.keys('workspaces/')).map((k) => k.split('/')[1]))].sort(), kept.map((r) => r.id).sort(), 'no files of refused repls');
        await l.service.remove('u-full', first.id);
        await l.service.create('u-full', 'node');
        // Other accounts have limits of their own.
        await l.service.create('u-other', 'node');
      } finally {
        await l.close();
      }
    });

    it('holds the repl limit when creates come at once', async () => {
      const l = await memoryRepls({ limits: { repls: 2 } });
      try {
        const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => l.service.create('u-burst', 'node', `repl ${i}`)));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
        for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'LIMIT_REACHED');
        const kept = await l.service.list('u-burst');
        assert.equal(kept.length, 2);
        // The refused ones left no files behind.
        const prefixes = new Set((await l.keys('workspaces/')).map((k) => k.split('/')[1]));
        assert.deepEqual([...prefixes].sort(), kept.map((r) => r.id).sort());
      } finally {
        await l.close();
      }
    });

    it('refuses to start one repl over the running limit, naming the limit and what runs', async () => {
      const l = await memoryRepls({ limits: { running: 1 } });
      try {
        const a = await l.service.create('u-run', 'node', 'runner A');
        const b = await l.service.create('u-run', 'node', 'runner B');
        await l.service.start('u-run', a.id);
        await refused(l.service.start('u-run', b.id), 'LIMIT_REACHED', /may run 1 repl at once \(the running limit\).*runner A/);
        await refused(l.service.apps.start('u-run', b.id), 'LIMIT_REACHED', /running limit/);
        assert.equal(l.runtime.status(b.id).state, 'stopped');
        await l.service.start('u-run', a.id);
        assert.equal(l.runtime.status(a.id).state, 'running', 'starting a running repl again is no second repl');
        await l.service.stop('u-run', a.id);
        await l.service.start('u-run', b.id);
        assert.equal(l.runtime.status(b.id).state, 'running');
      } finally {
        await l.close();
      }
    });

    it('holds the running limit when starts come at once', async () => {
      const l = await memoryRepls({ limits: { running: 1 }, runtime: { stepDelayMs: 5 } });
      try {
        const repls = [await l.service.create('u-runs', 'node'), await l.service.create('u-runs', 'node'), await l.service.create('u-runs', 'node')];
        const results = await Promise.allSettled(repls.map((r) => l.service.start('u-runs', r.id)));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        assert.equal(repls.filter((r) => l.runtime.status(r.id).state === 'running').length, 1);
      } finally {
        await l.close();
      }
    });
  });

  it('keeps both a rename and port changes made at the same moment', async () => {
    const repl = await t.service.create('u-race', 'node', 'before');
    await Promise.all([
      t.service.rename('u-race', repl.id, 'after'),
      t.service.setPortVisibility('u-race', repl.id, 5000, 'public'),
      t.service.setPortVisibility('u-race', repl.id, 3000, 'private'),
      t.service.setPortVisibility('u-race', repl.id, 8080, 'public'),
    ]);
    const record = await t.service.get('u-race', repl.id);
    assert.equal(record.name, 'after');
    assert.deepEqual(record.ports, { 3000: 'private', 5000: 'public', 8080: 'public' });
    assert.equal(t.service.isPublic(record, 3000), false, 'the app port made private');
    assert.equal(t.service.isPublic(record, 5000), true);
    assert.equal(t.service.isPublic(record, 9999), false, 'a port never set is private');
  });

  it('forks a repl with its files and port settings into an independent copy', async () => {
    const source = await t.service.create('u-fork', 'node', 'original');
    await t.service.files.write('u-fork', source.id, 'notes/todo.txt', Buffer.from('fork me'));
    await t.service.setPortVisibility('u-fork', source.id, 5000, 'public');
    const fork = await t.service.fork('u-fork', source.id);
    assert.notEqual(fork.id, source.id);
    assert.equal(fork.name, 'original (fork)');
    assert.equal(fork.owner, 'u-fork');
    assert.deepEqual(fork.origin, { forkOf: source.id });
    assert.deepEqual(fork.ports, { 5000: 'public' });
    assert.deepEqual((await t.service.get('u-fork', fork.id)).ports, { 5000: 'public' }, 'stored, not only answered');
    assert.equal((await t.service.files.read('u-fork', fork.id, 'notes/todo.txt')).toString(), 'fork me');
    assert.deepEqual(
      (await t.service.files.list('u-fork', fork.id, '')).map((f) => f.name),
      (await t.service.files.list('u-fork', source.id, '')).map((f) => f.name),
    );
    // The copy is its own: a change to it leaves the original as it was.
    await t.service.files.write('u-fork', fork.id, 'notes/todo.txt', Buffer.from('changed in the fork'));
    assert.equal((await t.service.files.read('u-fork', source.id, 'notes/todo.txt')).toString(), 'fork me');
    assert.equal((await t.service.fork('u-fork', source.id, 'named copy')).name, 'named copy');
  });

  it("refuses to fork a running repl whose latest changes cannot be saved first, and makes nothing", async () => {
    const source = await t.service.create('u-fork-running', 'node');
    await t.service.start('u-fork-running', source.id);
    const stored = await t.keys('workspaces/');
    // The double's agent answers nowhere: the save a fork needs first cannot happen.
    await refused(t.service.fork('u-fork-running', source.id), 'UNAVAILABLE', /could not be saved first/);
    assert.deepEqual((await t.service.list('u-fork-running')).map((r) => r.id), [source.id]);
    assert.deepEqual(await t.keys('workspaces/'), stored);
  });

  it('deletes a repl: its record, its runtime state and its stored files, nothing of another repl', async () => {
    const doomed = await t.service.create('u-delete', 'node');
    const kept = await t.service.create('u-delete', 'node');
    await t.service.start('u-delete', doomed.id);
    assert.ok((await t.keys(`workspaces/${doomed.id}/`)).length > 0);
    await t.service.remove('u-delete', doomed.id);
    await refused(t.service.get('u-delete', doomed.id), 'NOT_FOUND');
    assert.equal(await t.service.record(doomed.id), undefined);
    assert.deepEqual((await t.service.list('u-delete')).map((r) => r.id), [kept.id]);
    assert.deepEqual(await t.keys(`workspaces/${doomed.id}/`), []);
    assert.notEqual(t.runtime.status(doomed.id).state, 'running');
    assert.ok((await t.keys(`workspaces/${kept.id}/`)).length > 0);
    await refused(t.service.remove('u-delete', doomed.id), 'NOT_FOUND', /no repl/);
  });

  it('starts and stops a repl through the runtime, showing the states on the way to its owner', async () => {
    const repl = await t.service.create('u-life', 'node');
    const seen: string[] = [];
    const off = t.service.watch('u-life', (event) => {
      if (event.type === 'repl' && event.repl.id === repl.id) seen.push(event.repl.status);
    });
    const running = nextEvent(t.service, 'u-life', (e) => e.type === 'repl' && e.repl.status === 'running');
    assert.equal((await t.service.start('u-life', repl.id)).id, repl.id);
    assert.equal(t.runtime.status(repl.id).state, 'running');
    await running;
    const view = await t.service.view(await t.service.get('u-life', repl.id));
    assert.equal(view.status, 'running');
    assert.deepEqual(view.app, { running: false }, 'no app runs in the double');
    const stopped = nextEvent(t.service, 'u-life', (e) => e.type === 'repl' && e.repl.status === 'stopped');
    await t.service.stop('u-life', repl.id);
    await stopped;
    off();
    assert.equal(t.runtime.status(repl.id).state, 'stopped');
    assert.equal((await t.service.view(await t.service.get('u-life', repl.id))).status, 'stopped');
    assert.ok(seen.indexOf('starting') >= 0 && seen.indexOf('starting') < seen.indexOf('running'), seen.join());
    assert.ok(seen.lastIndexOf('stopping') > seen.indexOf('running') && seen.lastIndexOf('stopping') < seen.lastIndexOf('stopped'), seen.join());
    // Exec answers from the double, marked as such, only while running.
    await refused(t.service.apps.exec('u-life', repl.id, { command: 'ls' }), 'NOT_RUNNING');
  });
});
