import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplEvent, ReplView } from '../../src/repls/repl-record.js';
import { ReplEvents } from '../../src/repls/repl-events.js';

const view = (status: ReplView['status']): ReplView => ({ id: 'abcdefghijkl', status } as ReplView);
const later = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

describe('repl events for dashboards', () => {
  it("never lets a slow, older view overtake a newer one (a repl shown 'stopping' forever)", async () => {
    const events = new ReplEvents();
    const seen: ReplEvent[] = [];
    events.watch('u1', (event) => seen.push(event));
    // The 'stopping' view waits on a busy agent; the 'stopped' one needs no agent and is quick.
    const stopping = events.announce('abcdefghijkl', () => later(50, { owner: 'u1', view: view('stopping') }));
    const stopped = events.announce('abcdefghijkl', () => later(1, { owner: 'u1', view: view('stopped') }));
    await Promise.all([stopping, stopped]);
    assert.deepEqual(seen.map((e) => e.type === 'repl' && e.repl.status), ['stopped']);
  });

  it("sends each repl's changes to its owner only, and every one of them when they do not overlap", async () => {
    const events = new ReplEvents();
    const mine: ReplEvent[] = [];
    const theirs: ReplEvent[] = [];
    events.watch('u1', (event) => mine.push(event));
    events.watch('u2', (event) => theirs.push(event));
    await events.announce('abcdefghijkl', async () => ({ owner: 'u1', view: view('starting') }));
    await events.announce('abcdefghijkl', async () => ({ owner: 'u1', view: view('running') }));
    events.deleted('u1', 'abcdefghijkl');
    assert.deepEqual(mine.map((e) => (e.type === 'repl' ? e.repl.status : e.type)), ['starting', 'running', 'deleted']);
    assert.deepEqual(theirs, []);
  });

  it('announces nothing for a repl that is gone, and keeps going after a failed view', async () => {
    const events = new ReplEvents();
    const seen: ReplEvent[] = [];
    events.watch('u1', (event) => seen.push(event));
    await events.announce('abcdefghijkl', async () => undefined);
    await assert.rejects(events.announce('abcdefghijkl', async () => Promise.reject(new Error('agent gone'))));
    await events.announce('abcdefghijkl', async () => ({ owner: 'u1', view: view('stopped') }));
    assert.deepEqual(seen.map((e) => e.type === 'repl' && e.repl.status), ['stopped']);
  });
});
