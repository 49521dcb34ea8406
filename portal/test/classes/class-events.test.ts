import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClassEvent, ClassEvents } from '../../src/classes/class-events.js';
import type { ClassRecord, ClassRepository } from '../../src/db/class-repository.js';
import { LocalEventBus } from '../../src/db/event-bus.js';
import { MemoryRuntime } from '../../src/runtime/memory-runtime.js';

/**
 * A class deleted through another portal: this portal's watchers learn it at their next look
 * (the deleting portal tells its own at once; class-join-events.test.ts). The repository is a
 * double holding one class that another portal then deletes; the runtime is MemoryRuntime.
 */
describe('class events: a class deleted elsewhere', () => {
  it('tells its watchers once, at the next look, and lets them go; another class is not touched', async () => {
    const classes = new Map<string, ClassRecord>([
      ['cls_a', { id: 'cls_a' } as ClassRecord],
      ['cls_b', { id: 'cls_b' } as ClassRecord],
    ]);
    const repository = { get: async (id: string) => classes.get(id), students: async () => [] } as unknown as ClassRepository;
    const events = new ClassEvents({ service: { repository, rows: async () => [] }, runtime: new MemoryRuntime(), bus: new LocalEventBus(), log: { error: () => undefined }, refreshMs: 20 });
    try {
      const seenA: ClassEvent[] = [];
      const seenB: ClassEvent[] = [];
      await events.watch('cls_a', (e) => seenA.push(e));
      await events.watch('cls_b', (e) => seenB.push(e));
      await new Promise((r) => setTimeout(r, 80));
      assert.deepEqual(seenA, [], 'nothing while the class is there');
      classes.delete('cls_a'); // another portal deleted it
      for (let i = 0; i < 100 && seenA.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 80));
      assert.deepEqual(seenA, [{ type: 'deleted', id: 'cls_a' }], 'told once');
      assert.deepEqual(seenB, []);
    } finally {
      events.close();
    }
  });
});
