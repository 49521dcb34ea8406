import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecordCache } from '../../src/repls/record-cache.js';
import type { ReplRecord } from '../../src/repls/repl-record.js';

const record = (name: string): ReplRecord => ({ id: 'abcdefghijkl', name } as ReplRecord);

describe("the proxy's record cache", () => {
  it('reads the database once for many requests, and again after a change is forgotten', async () => {
    const cache = new RecordCache(60_000);
    let loads = 0;
    let current = record('before');
    const load = async () => (loads++, current);
    for (let i = 0; i < 5; i++) assert.equal((await cache.get('abcdefghijkl', load))?.name, 'before');
    assert.equal(loads, 1);
    current = record('after');
    cache.forget('abcdefghijkl');
    assert.equal((await cache.get('abcdefghijkl', load))?.name, 'after', 'a change is seen at the next request');
  });

  it('keeps nothing read while a change happened (it may predate the change)', async () => {
    const cache = new RecordCache(60_000);
    let current = record('old');
    const slow = async () => {
      const seen = current;
      await sleep(20);
      return seen;
    };
    const reading = cache.get('abcdefghijkl', slow);
    current = record('new');
    cache.forget('abcdefghijkl');
    assert.equal((await reading)?.name, 'old');
    assert.equal((await cache.get('abcdefghijkl', async () => current))?.name, 'new', 'the stale read was not kept');
  });

  it('reads again once its time is up, even with no change heard (an event lost on the way)', async () => {
    const cache = new RecordCache(30);
    let current = record('one');
    await cache.get('abcdefghijkl', async () => current);
    current = record('two');
    assert.equal((await cache.get('abcdefghijkl', async () => current))?.name, 'one');
    await sleep(40);
    assert.equal((await cache.get('abcdefghijkl', async () => current))?.name, 'two');
  });
});
