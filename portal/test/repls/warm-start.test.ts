import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { REPL_ID_PATTERN } from '@codeyard/common/repl-id';
import { CapacityGate } from '../../src/capacity/capacity-gate.js';
import type { MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import type { ReplSpec } from '../../src/runtime/runtime.js';
import { coldReason } from '../../src/repls/warm-start.js';
import { eventually } from '../helpers/http.js';
import { type MemoryRepls, memoryRepls } from '../helpers/memory-repls.js';
import { refused } from '../helpers/repl-asserts.js';

const MiB = 1024 * 1024;

/**
 * Which starts take a warm sandbox (repls/warm-start.ts), through the repl service on the doubles:
 * MemoryRuntime's pool is the shared WarmPool with instant sandboxes, and like the process runtime
 * it gives no warm sandbox to a repl that ran (it would have state of its own).
 */
describe('warm starts (MemoryRuntime double)', () => {
  let l: MemoryRepls | undefined;
  afterEach(async () => {
    await l?.close();
    l = undefined;
  });

  const withPool = async (options: Parameters<typeof memoryRepls>[0] = {}): Promise<MemoryRepls> => {
    l = await memoryRepls(options);
    l.runtime.warmPool([l.templates.find((tpl) => tpl.manifest.id === 'node')!.manifest], 1);
    await filled(l);
    return l;
  };
  const filled = (repls: MemoryRepls): Promise<unknown> => eventually(async () => repls.runtime.warmCounts().node === 1, 'a warm node sandbox', 2000);

  it("gives a repl's first start a ready warm sandbox; making the repl takes none, nor does a start the account may not make", async () => {
    const repls = await withPool({ limits: { running: 1 } });
    const first = await repls.service.create('u-warm', 'node');
    const second = await repls.service.create('u-warm', 'node');
    assert.equal(repls.runtime.warmCounts().node, 1, 'made, not started: the pool is as it was');
    await repls.service.start('u-warm', first.id);
    assert.ok(repls.runtime.startedWarm.has(first.id), 'started from the warm sandbox');
    assert.equal(repls.runtime.warmCounts().node, 0, 'taken from the pool');
    await filled(repls);
    // The account runs all it may: the refused start leaves the pool as it was.
    await refused(repls.service.start('u-warm', second.id), 'LIMIT_REACHED');
    assert.equal(repls.runtime.warmCounts().node, 1);
  });

  it('serves a copy never started (a fork, as a class copy is made: a server-side copy) with its own files and name', async () => {
    const repls = await withPool();
    // The source ran: a copy of it did not.
    const source = await repls.service.create('u-copy', 'node', 'Source');
    await repls.service.files.write('u-copy', source.id, 'mine.txt', Buffer.from('the source'));
    await repls.service.start('u-copy', source.id);
    await filled(repls);
    await repls.service.stop('u-copy', source.id);
    const copy = await repls.service.fork('u-copy', source.id, 'The copy');
    assert.match(copy.id, REPL_ID_PATTERN);
    // What the warm sandbox restores: the copy's own workspace (the double restores nothing; the integration test sees it).
    assert.equal((await repls.service.files.read('u-copy', copy.id, 'mine.txt')).toString(), 'the source');
    await repls.service.start('u-copy', copy.id);
    assert.ok(repls.runtime.startedWarm.has(copy.id), 'the copy started warm');
    assert.equal((await repls.service.specFor(copy.id))?.info?.name, 'The copy');
  });

  it('starts a repl that ran before cold (the driver keeps its state), and leaves the pool as it was', async () => {
    const repls = await withPool();
    const repl = await repls.service.create('u-again', 'node');
    await repls.service.start('u-again', repl.id);
    await filled(repls);
    await repls.service.stop('u-again', repl.id);
    repls.runtime.startedWarm.clear();
    await repls.service.start('u-again', repl.id);
    assert.equal(repls.runtime.startedWarm.has(repl.id), false);
    assert.equal(repls.runtime.warmCounts().node, 1);
  });

  it('starts cold a repl of a stack without a warm sandbox, as before', async () => {
    const repls = await withPool();
    const repl = await repls.service.create('u-python', 'python');
    await repls.service.start('u-python', repl.id);
    assert.equal(repls.runtime.startedWarm.has(repl.id), false);
    assert.equal(repls.runtime.status(repl.id).state, 'running');
    assert.equal(repls.runtime.warmCounts().node, 1, "another stack's sandbox stays");
  });

  it('counts the warm sandbox a start takes as that start, not twice: it fits where the start and the sandbox would not', async () => {
    // 250 MiB: one start (estimate 200 MiB) fits; the start and the warm sandbox (100 MiB) would not.
    const repls = await withPool({
      runtime: { warmUsage: { memoryBytes: 100 * MiB } },
      capacity: (runtime: MemoryRuntime) =>
        new CapacityGate({ runtime, capacity: { memoryBytes: 250 * MiB, reserveBytes: 0, cpus: 2, source: 'configured' }, estimateBytes: 200 * MiB, limitBytes: 2048 * MiB, settleMs: 0, log: { info() {}, warn() {} } }),
    });
    const repl = await repls.service.create('u-fit', 'node');
    await repls.service.start('u-fit', repl.id);
    assert.ok(repls.runtime.startedWarm.has(repl.id), 'admitted with its warm sandbox, not told the server is full');
  });

  describe('coldReason (the rule)', () => {
    const specOf = async (repls: MemoryRepls): Promise<ReplSpec> => (await repls.service.specFor((await repls.service.create('u-rule', 'node')).id))!;

    it('lets a spec of the template manifest and nothing of its own through', async () => {
      const repls = await withPool();
      assert.equal(coldReason(await specOf(repls), repls.runtime, new Map(repls.templates.map((t) => [t.manifest.id, t]))), undefined);
    });

    it('sends a spec with a field a warm sandbox cannot take on cold, naming it; an unset one is no reason; a memory limit of its own is for the driver', async () => {
      const repls = await withPool();
      const templates = new Map(repls.templates.map((t) => [t.manifest.id, t]));
      const spec = await specOf(repls);
      assert.match(coldReason({ ...spec, cpuLimit: 1 } as ReplSpec, repls.runtime, templates) ?? '', /its own cpuLimit/);
      assert.equal(coldReason({ ...spec, cpuLimit: undefined } as ReplSpec, repls.runtime, templates), undefined);
      // The drivers apply it to a warm sandbox (or say no in warmFits).
      assert.equal(coldReason({ ...spec, memoryLimitBytes: 512 * MiB }, repls.runtime, templates), undefined);
    });

    it("sends a repl whose manifest is not its stack template's cold (a warm sandbox runs the template's)", async () => {
      const repls = await withPool();
      const templates = new Map(repls.templates.map((t) => [t.manifest.id, t]));
      const spec = await specOf(repls);
      assert.match(coldReason({ ...spec, manifest: { ...spec.manifest, port: spec.manifest.port + 1 } }, repls.runtime, templates) ?? '', /manifest/);
    });
  });
});
