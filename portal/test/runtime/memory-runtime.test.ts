import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newReplId } from '@codeyard/common/repl-id';
import { MEMORY_EXEC_MARK, MemoryRuntime } from '../../src/runtime/memory-runtime.js';
import type { ReplSpec } from '../../src/runtime/runtime.js';
import type { StackManifest } from '../../src/templates/manifest.js';
import { describeRuntime } from './describe-runtime.js';

const manifest: StackManifest = {
  id: 'node',
  name: 'Node.js',
  description: 'a stack for the double',
  icon: 'icon.svg',
  main: 'index.js',
  run: 'node index.js',
  port: 3000,
  toolchain: { name: 'node', check: 'node --version', installHint: 'install Node.js' },
};

function newSpec(): ReplSpec {
  const id = newReplId();
  return { id, manifest, workspacePrefix: `workspaces/${id}/` };
}

describeRuntime('memory (test double)', async () => {
  const runtime = new MemoryRuntime();
  return { runtime, newSpec: async () => newSpec(), close: () => runtime.close() };
});

describe('MemoryRuntime (test double)', () => {
  it('answers exec with a canned result marked as the double’s', async () => {
    const runtime = new MemoryRuntime();
    const spec = newSpec();
    await runtime.start(spec);
    const result = await runtime.exec(spec.id, { command: 'echo hi' });
    assert.equal(result.exitCode, 0);
    assert.ok(result.stdout.startsWith(MEMORY_EXEC_MARK), 'marked, never mistaken for real output');
    await runtime.close();
    assert.deepEqual(runtime.active(), []);
  });

  it('reports every limit as not enforced, and stacks it was told are missing as unavailable', async () => {
    const runtime = new MemoryRuntime({ unavailableStacks: ['node'] });
    assert.ok(Object.values(runtime.describe().limits).every((l) => !l.enforced));
    assert.equal((await runtime.checkStack(manifest)).available, false);
  });

  describe('warm pool (the shared WarmPool policy)', () => {
    const filled = async (runtime: MemoryRuntime): Promise<void> => {
      // A take refills after a second (the pool waits a moment after each take).
      for (let i = 0; i < 300 && runtime.warmCounts().node !== 1; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(runtime.warmCounts().node, 1);
    };

    it('hands out a sandbox handle that the repl made by the service adopts: its first start is the restore, and the pool refills', async () => {
      const runtime = new MemoryRuntime();
      assert.equal(runtime.takeWarm('node'), undefined, 'nothing before the pool is on');
      runtime.warmPool([manifest], 1);
      await filled(runtime);
      const handle = runtime.takeWarm('node');
      assert.ok(handle);
      assert.equal(handle.stack, 'node');
      assert.equal(runtime.warmCounts().node, 0, 'taken out of the pool');
      const spec = newSpec();
      runtime.adoptWarm(handle, spec.id);
      const steps: string[] = [];
      runtime.watch((id, status) => id === spec.id && status.step && steps.push(status.step));
      await runtime.start(spec);
      assert.ok(runtime.startedWarm.has(spec.id));
      assert.deepEqual(steps, ['restoring files']);
      await filled(runtime);
      // Only the first start is a warm one.
      await runtime.stop(spec.id);
      runtime.startedWarm.clear();
      await runtime.start(spec);
      assert.equal(runtime.startedWarm.has(spec.id), false);
      await runtime.close();
    });

    it('gives a released handle back to nobody, and a repl deleted before its first start does not keep it', async () => {
      const runtime = new MemoryRuntime();
      runtime.warmPool([manifest], 1);
      await filled(runtime);
      const released = runtime.takeWarm('node')!;
      await runtime.releaseWarm(released);
      const spec = newSpec();
      runtime.adoptWarm(released, spec.id);
      await runtime.start(spec);
      assert.equal(runtime.startedWarm.has(spec.id), false, 'a released sandbox is not adopted');

      await filled(runtime);
      const handle = runtime.takeWarm('node')!;
      const deleted = newSpec();
      runtime.adoptWarm(handle, deleted.id);
      await runtime.delete(deleted.id);
      await runtime.start(deleted);
      assert.equal(runtime.startedWarm.has(deleted.id), false, 'its sandbox ended with the delete');
      await runtime.close();
    });

    it('ends a taken sandbox whose repl does not start in time: that start is a cold one', async () => {
      const runtime = new MemoryRuntime({ warmTakenMs: 20 });
      runtime.warmPool([manifest], 1);
      await filled(runtime);
      const spec = newSpec();
      runtime.adoptWarm(runtime.takeWarm('node')!, spec.id);
      await new Promise((resolve) => setTimeout(resolve, 60));
      await runtime.start(spec);
      assert.equal(runtime.startedWarm.has(spec.id), false);
      await runtime.close();
    });
  });
});
