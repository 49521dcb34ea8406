import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Slots } from '../src/concurrency.js';

describe('Slots', () => {
  it('runs at most its size at once, all tasks in the end, in call order', async () => {
    const slots = new Slots(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        slots.run(async () => {
          order.push(i);
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('frees the slot of a task that failed', async () => {
    const slots = new Slots(1);
    await assert.rejects(slots.run(async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await slots.run(async () => 'next'), 'next');
  });
});
