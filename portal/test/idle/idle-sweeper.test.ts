import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ActivityTracker } from '../../src/idle/activity-tracker.js';
import { IdleSweeper } from '../../src/idle/idle-sweeper.js';
import { AlwaysOn } from '../../src/repls/always-on.js';
import { type MemoryRepls, memoryRepls, quietLog } from '../helpers/memory-repls.js';

/**
 * The idle sweeper's decisions on the doubles (MemoryRuntime, MemoryStore) and a real SQLite
 * database: activity keeps a repl up, silence stops it (the normal stop), an open connection
 * counts for as long as it is open, always-on repls are never stopped, and a repl used through
 * another portal (a second tracker writing to the same database) is not stopped either. The idle
 * time is a second, not minutes; nothing here asserts how long anything took.
 */
const IDLE_MS = 1000;
const QUIET_MS = IDLE_MS + 300;

describe('IdleSweeper (MemoryRuntime double, SQLite)', () => {
  let m: MemoryRepls;
  let here: ActivityTracker;
  let sweeper: IdleSweeper;
  let alwaysOn: AlwaysOn;

  const running = async (owner: string): Promise<string> => {
    const record = await m.service.create(owner, 'node');
    await m.service.start(owner, record.id);
    return record.id;
  };
  const state = (id: string): string => m.runtime.status(id).state;
  // Each test looks at its own repls only: repls of earlier tests may be stopped by the same sweep.

  before(async () => {
    m = await memoryRepls({ limits: { running: 10 } });
    here = new ActivityTracker({ repository: m.database.activity, flushMs: 100, forgetAfterMs: 60_000, log: quietLog });
    sweeper = new IdleSweeper({
      runtime: m.runtime,
      tracker: here,
      activity: m.database.activity,
      record: (id) => m.service.record(id),
      stop: async (record) => void (await m.service.stop(record.owner, record.id)),
      idleMs: IDLE_MS,
      sharedLagMs: 200,
      log: quietLog,
    });
    alwaysOn = new AlwaysOn({ records: m.database.repls, accounts: m.database.accounts, runtime: m.runtime, perAccount: 1, log: quietLog });
  });
  after(async () => {
    alwaysOn.close();
    await sweeper.close();
    await here.close();
    await m.close();
  });

  it('leaves a repl in use running and stops one left quiet, with the normal stop', async () => {
    const used = await running('acct-a');
    const quiet = await running('acct-a');
    await sleep(QUIET_MS);
    here.touch(used);
    const stopped = await sweeper.sweep();
    assert.ok(stopped.includes(quiet) && !stopped.includes(used), String(stopped));
    assert.equal(state(used), 'running');
    assert.equal(state(quiet), 'stopped');
  });

  it('does not stop a repl that has just started, whatever its old activity', async () => {
    const id = await running('acct-b');
    await sleep(QUIET_MS);
    await m.service.stop('acct-b', id);
    await m.service.start('acct-b', id);
    assert.ok(!(await sweeper.sweep()).includes(id));
    assert.equal(state(id), 'running');
  });

  it('counts an open connection (an IDE WebSocket) for as long as it is open, and not after', async () => {
    const id = await running('acct-c');
    const release = here.hold(id);
    await sleep(QUIET_MS);
    assert.ok(!(await sweeper.sweep()).includes(id), 'open for longer than the idle time: still in use');
    assert.equal(state(id), 'running');
    release();
    release(); // twice is harmless
    assert.equal(here.openConnections(id), 0);
    await sleep(QUIET_MS);
    assert.ok((await sweeper.sweep()).includes(id));
    assert.equal(state(id), 'stopped');
  });

  it('never stops an always-on repl', async () => {
    const id = await running('acct-d');
    assert.equal(await alwaysOn.set('acct-d', id, true), true);
    await sleep(QUIET_MS);
    assert.ok(!(await sweeper.sweep()).includes(id));
    assert.equal(state(id), 'running');
    await alwaysOn.set('acct-d', id, false);
    assert.ok((await sweeper.sweep()).includes(id), 'once off, idle is idle');
  });

  it('does not stop a repl used through another portal sharing the database', async () => {
    // Another replica: its own tracker, writing to the same database; this portal sees nothing locally.
    const there = new ActivityTracker({ repository: m.database.activity, flushMs: 100, forgetAfterMs: 60_000, log: quietLog });
    try {
      const id = await running('acct-e');
      await sleep(QUIET_MS);
      there.touch(id);
      await there.flush();
      assert.equal(here.lastActive(id), undefined, 'nothing seen on this portal');
      assert.ok(!(await sweeper.sweep()).includes(id));
      assert.equal(state(id), 'running');
      // The other portal's WebSocket stays open: it rewrites the time at each flush.
      const release = there.hold(id);
      await sleep(QUIET_MS);
      await there.flush();
      assert.ok(!(await sweeper.sweep()).includes(id));
      assert.equal(state(id), 'running');
      release();
      await there.flush();
      await sleep(QUIET_MS + 200);
      assert.ok((await sweeper.sweep()).includes(id), 'quiet everywhere: stopped');
    } finally {
      await there.close();
    }
  });

  it('writes the first activity after a quiet spell to the database at once, later ones batched', async () => {
    const id = await running('acct-f');
    here.touch(id);
    // setImmediate, then one insert: well within a second; the interval alone would also do it.
    const deadline = Date.now() + 5000;
    while (!(await m.database.activity.lastActive([id])).has(id) && Date.now() < deadline) await sleep(10);
    const first = (await m.database.activity.lastActive([id])).get(id);
    assert.ok(first, 'written');
    // A time never moves back, whoever writes it.
    await m.database.activity.record([[id, first - 60_000]]);
    assert.equal((await m.database.activity.lastActive([id])).get(id), first);
  });
});
