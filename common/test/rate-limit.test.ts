import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../src/rate-limit.js';

describe('RateLimiter', () => {
  it('allows a burst up to capacity, then refuses with a retry time, then refills', () => {
    const limiter = new RateLimiter({ perMinute: 6, capacity: 3 });
    const t0 = 1_000_000;
    assert.deepEqual([limiter.take('a', t0), limiter.take('a', t0), limiter.take('a', t0)], [0, 0, 0]);
    assert.equal(limiter.take('a', t0), 10, 'one token every 10 s');
    assert.equal(limiter.take('b', t0), 0, 'other clients are not affected');
    assert.equal(limiter.take('a', t0 + 10_000), 0);
  });

  it('forgets the oldest clients when full, and stays bounded', () => {
    const limiter = new RateLimiter({ perMinute: 1, capacity: 1, maxKeys: 2 });
    limiter.take('a', 0);
    limiter.take('b', 0);
    limiter.take('c', 0);
    assert.equal(limiter.take('a', 0), 0, 'a was forgotten, so it starts full');
    assert.notEqual(limiter.take('c', 0), 0, 'c is remembered');
  });
});
