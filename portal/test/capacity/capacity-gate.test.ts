import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { CapacityGate } from '../../src/capacity/capacity-gate.js';
import type { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { eventually } from '../helpers/http.js';
import { type MemoryRepls, memoryRepls } from '../helpers/memory-repls.js';

const MiB = 1024 * 1024;
const OWNER = 'u-capacity-test';

/**
 * Admission and the line of waiting starts, through the repl service on the doubles
 * (MemoryRuntime with settable figures: every running repl "uses" 300 MiB, each warm sandbox
 * 100 MiB). A capacity of 1000 MiB with a 200 MiB estimate holds three running repls.
 */
describe('capacity gate (MemoryRuntime double)', () => {
  let h: MemoryRepls | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const setup = async (options: { capacityMiB?: number; warm?: number; estimateMiB?: number } = {}): Promise<MemoryRepls> => {
    h = await memoryRepls({
      limits: { running: 50 },
      runtime: { replUsage: { memoryBytes: 300 * MiB, cpuPercent: 12 }, warmUsage: { memoryBytes: 100 * MiB } },
      capacity: (runtime: MemoryRuntime) =>
        new CapacityGate({
          runtime,
          capacity: { memoryBytes: (options.capacityMiB ?? 1000) * MiB, reserveBytes: 0, cpus: 2, source: 'configured' },
          estimateBytes: (options.estimateMiB ?? 200) * MiB,
          limitBytes: 2048 * MiB,
          settleMs: 0,
          log: { info() {}, warn() {} },
        }),
    });
    return h;
  };

  /** Starts a repl; answers 'running' or the SERVER_FULL error's details. */
  const tryStart = async (repls: MemoryRepls, id: string): Promise<'running' | { position: number; queued: number; retryAfterSeconds: number }> => {
    try {
      await repls.service.start(OWNER, id);
      return 'running';
    } catch (err) {
      if (err instanceof AppError && err.code === 'SERVER_FULL') return err.details as { position: number; queued: number; retryAfterSeconds: number };
      throw err;
    }
  };

  const newRepls = async (repls: MemoryRepls, n: number): Promise<string[]> => {
    const ids = [];
    for (let i = 0; i < n; i++) ids.push((await repls.service.create(OWNER, 'node', `r${i}`)).id);
    return ids;
  };

  it('admits what fits, then queues in order with each one its place, and a second ask keeps the place', async () => {
    const repls = await setup();
    const ids = await newRepls(repls, 6);
    const outcomes = [];
    for (const id of ids) outcomes.push(await tryStart(repls, id));
    assert.deepEqual(outcomes.slice(0, 3), ['running', 'running', 'running']);
    assert.deepEqual(
      outcomes.slice(3).map((o) => typeof o === 'object' && o.position),
      [1, 2, 3],
    );
    const again = await tryStart(repls, ids[4]!);
    assert.equal(typeof again === 'object' && again.position, 2, 'asking again keeps the place');
    const view = await repls.service.view(await repls.service.get(OWNER, ids[5]!));
    assert.deepEqual(view.queue, { position: 3, of: 3 });
    assert.equal(view.status, 'stopped');
  });

  it('starts the first in line by itself when a running repl stops, and moves the others up', async () => {
    const repls = await setup();
    const ids = await newRepls(repls, 5);
    for (const id of ids) await tryStart(repls, id);
    await repls.service.stop(OWNER, ids[0]!);
    await eventually(async () => repls.runtime.status(ids[3]!).state === 'running', 'the first in line runs');
    assert.equal(repls.runtime.status(ids[4]!).state, 'stopped');
    const view = await repls.service.view(await repls.service.get(OWNER, ids[4]!));
    assert.deepEqual(view.queue, { position: 1, of: 1 });
    // Nobody overtakes: a new start waits behind the one already in line.
    const [late] = await newRepls(repls, 1);
    const outcome = await tryStart(repls, late!);
    assert.equal(typeof outcome === 'object' && outcome.position, 2);
  });

  it('takes a deleted or stopped repl out of the line', async () => {
    const repls = await setup();
    const ids = await newRepls(repls, 6);
    for (const id of ids) await tryStart(repls, id);
    await repls.service.remove(OWNER, ids[3]!);
    await repls.service.stop(OWNER, ids[4]!);
    const view = await repls.service.view(await repls.service.get(OWNER, ids[5]!));
    assert.deepEqual(view.queue, { position: 1, of: 1 });
    // Room appears: the one left in line starts, the stopped one does not.
    await repls.service.stop(OWNER, ids[0]!);
    await eventually(async () => repls.runtime.status(ids[5]!).state === 'running', 'the remaining one runs');
    assert.equal(repls.runtime.status(ids[4]!).state, 'stopped');
  });

  it('starts queued repls when the running ones use less than before', async () => {
    const repls = await setup();
    const ids = await newRepls(repls, 4);
    for (const id of ids) await tryStart(repls, id);
    assert.equal(repls.runtime.status(ids[3]!).state, 'stopped');
    repls.runtime.setUsage(ids[0]!, { memoryBytes: 50 * MiB });
    // The next reading (or any state change) lets the first in line in; a stop elsewhere triggers one now.
    const [other] = await newRepls(repls, 1);
    await repls.service.stop(OWNER, other!);
    await eventually(async () => repls.runtime.status(ids[3]!).state === 'running', 'the waiting repl runs', 10_000);
  });

  it('ends warm sandboxes before it makes anyone wait', async () => {
    const repls = await setup({ capacityMiB: 900 });
    repls.runtime.warmPool(repls.templates.map((t) => t.manifest), 1);
    const stacks = repls.templates.length;
    await eventually(async () => Object.values(repls.runtime.warmCounts()).reduce((a, b) => a + b, 0) === stacks, 'the pool is full');
    // `stacks` warm sandboxes of 100 MiB each. Two running repls (600 MiB) + warm: no room for 200 MiB more.
    const ids = await newRepls(repls, 3);
    const warmBefore = Object.values(repls.runtime.warmCounts()).reduce((a, b) => a + b, 0);
    assert.equal(await tryStart(repls, ids[0]!), 'running');
    assert.equal(await tryStart(repls, ids[1]!), 'running');
    assert.equal(await tryStart(repls, ids[2]!), 'running', 'the third start ends warm sandboxes instead of waiting');
    const warmAfter = Object.values(repls.runtime.warmCounts()).reduce((a, b) => a + b, 0);
    assert.ok(warmAfter < warmBefore, `warm sandboxes were ended (${warmBefore} → ${warmAfter})`);
    // And the pool does not refill into the room they left while that room is needed.
    const [fourth] = await newRepls(repls, 1);
    const outcome = await tryStart(repls, fourth!);
    assert.equal(typeof outcome === 'object' && outcome.position, 1);
  });

  it("counts the start of a repl with a lower memory limit of its own (a class's per-student limit) at that limit, not the typical footprint", async () => {
    // 950 MiB, two running repls at 300 MiB: a typical start (400 MiB) waits; one held to 256 MiB fits.
    const repls = await setup({ capacityMiB: 950, estimateMiB: 400 });
    const ids = await newRepls(repls, 4);
    assert.equal(await tryStart(repls, ids[0]!), 'running');
    assert.equal(await tryStart(repls, ids[1]!), 'running');
    assert.equal(typeof (await tryStart(repls, ids[2]!)), 'object', 'a typical repl waits');
    await repls.service.stop(OWNER, ids[2]!);
    await repls.database.db.updateTable('repls').set({ memory_mb: 256 }).where('id', '=', ids[3]!).execute();
    assert.equal(await tryStart(repls, ids[3]!), 'running', 'the repl held to 256 MiB starts');
  });

  it('shows each running repl its memory and CPU in its view', async () => {
    const repls = await setup();
    const [id] = await newRepls(repls, 1);
    await tryStart(repls, id!);
    repls.runtime.setUsage(id!, { memoryBytes: 123 * MiB, cpuPercent: 42.5 });
    // The view shows the last reading: a start takes one, and so does the next tick; force one with a queue check.
    await eventually(async () => (await repls.service.view(await repls.service.get(OWNER, id!))).usage?.memoryBytes === 123 * MiB, 'the reading', 10_000);
    const view = await repls.service.view(await repls.service.get(OWNER, id!));
    assert.deepEqual(view.usage, { memoryBytes: 123 * MiB, cpuPercent: 42.5 });
  });
});
