import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@codeyard/common/errors';
import { newReplId } from '@codeyard/common/repl-id';
import type { ReplSpec, Runtime, RuntimeStatus } from '../../src/runtime/runtime.js';

/** A runtime to test, and how to make a repl it can run (its files in the store, for a real driver). */
export interface RuntimeHarness {
  runtime: Runtime;
  newSpec(): Promise<ReplSpec>;
  close(): Promise<void>;
}

/** Every status event of `id` while `work` runs, in order. */
async function eventsOf(runtime: Runtime, id: string, work: () => Promise<void>): Promise<RuntimeStatus[]> {
  const seen: RuntimeStatus[] = [];
  const unwatch = runtime.watch((changed, status) => {
    if (changed === id) seen.push(status);
  });
  try {
    await work();
  } finally {
    unwatch();
  }
  return seen;
}

/**
 * The behaviour every runtime driver must have, whatever runs the repls. Run against the
 * in-memory double (memory-runtime.test.ts, fast) and the process runtime
 * (process-runtime.integration.test.ts, real sandboxes): `describeRuntime('process', make)`.
 */
export function describeRuntime(name: string, make: () => Promise<RuntimeHarness>, options: { timeout?: number } = {}): void {
  describe(`runtime: ${name}`, { timeout: options.timeout }, () => {
    let h: RuntimeHarness;
    before(async () => {
      h = await make();
    });
    after(() => h?.close());

    it('answers stopped for a repl it never saw', () => {
      const status = h.runtime.status(newReplId());
      assert.equal(status.state, 'stopped');
      assert.equal(h.runtime.endpoints(newReplId()), undefined);
    });

    it('starts a repl: starting with steps, then running, in order; stops it: stopping, then stopped', async () => {
      const spec = await h.newSpec();
      await h.runtime.create(spec);
      assert.equal(h.runtime.status(spec.id).state, 'stopped', 'made, not started');
      const starting = await eventsOf(h.runtime, spec.id, () => h.runtime.start(spec));
      assert.ok(starting.length >= 2, 'at least one step before running');
      assert.deepEqual(starting.slice(0, -1).map((s) => s.state), starting.slice(0, -1).map(() => 'starting'));
      assert.ok(starting.slice(0, -1).every((s) => typeof s.step === 'string' && s.step.length > 0), 'every starting event says what happens');
      assert.equal(starting.at(-1)?.state, 'running');
      assert.equal(h.runtime.status(spec.id).state, 'running');
      assert.ok(h.runtime.endpoints(spec.id), 'reachable while running');
      assert.ok(h.runtime.active().includes(spec.id));
      // Times only move forward.
      const times = starting.map((s) => Date.parse(s.since));
      assert.deepEqual([...times].sort((a, b) => a - b), times);

      const stopping = await eventsOf(h.runtime, spec.id, () => h.runtime.stop(spec.id));
      assert.ok(stopping.length >= 2);
      assert.deepEqual(stopping.slice(0, -1).map((s) => s.state), stopping.slice(0, -1).map(() => 'stopping'));
      assert.equal(stopping.at(-1)?.state, 'stopped');
      assert.equal(h.runtime.endpoints(spec.id), undefined, 'not reachable once stopped');
      assert.equal(h.runtime.active().includes(spec.id), false);
    });

    it('takes a second start of a running repl, and a stop of a stopped one, as done', async () => {
      const spec = await h.newSpec();
      await h.runtime.create(spec);
      await h.runtime.start(spec);
      const again = await eventsOf(h.runtime, spec.id, () => h.runtime.start(spec));
      assert.deepEqual(again, [], 'no new start');
      assert.equal(h.runtime.status(spec.id).state, 'running');
      await h.runtime.stop(spec.id);
      const stopAgain = await eventsOf(h.runtime, spec.id, () => h.runtime.stop(spec.id));
      assert.deepEqual(stopAgain, []);
      assert.equal(h.runtime.status(spec.id).state, 'stopped');
    });

    it('refuses exec on a repl that is not running', async () => {
      const spec = await h.newSpec();
      await h.runtime.create(spec);
      await assert.rejects(h.runtime.exec(spec.id, { command: 'true' }), (err: unknown) => err instanceof AppError && err.code === 'NOT_RUNNING');
    });

    it('deletes a running repl: stopped, gone from active(), unreachable', async () => {
      const spec = await h.newSpec();
      await h.runtime.create(spec);
      await h.runtime.start(spec);
      await h.runtime.delete(spec.id);
      assert.equal(h.runtime.status(spec.id).state, 'stopped');
      assert.equal(h.runtime.active().includes(spec.id), false);
      assert.equal(h.runtime.endpoints(spec.id), undefined);
    });

    it('counts only repls that are not stopped in active()', async () => {
      const [a, b] = [await h.newSpec(), await h.newSpec()];
      for (const spec of [a, b]) await h.runtime.create(spec);
      await h.runtime.start(a);
      assert.ok(h.runtime.active().includes(a.id));
      assert.equal(h.runtime.active().includes(b.id), false);
      await h.runtime.stop(a.id);
      assert.equal(h.runtime.active().includes(a.id), false);
    });
  });
}
