import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LimitReachedDetails } from '@codeyard/common/api/requests';
import { isAppError } from '@codeyard/common/errors';
import { pickReplName, REPL_NAME_COUNT } from '../../src/repls/repl-names.js';
import { memoryRepls } from '../helpers/memory-repls.js';

describe('default repl names', () => {
  it('are two plain words, adjective-noun', () => {
    for (let i = 0; i < 50; i++) assert.match(pickReplName([]), /^[a-z]+-[a-z]+$/);
    assert.equal(REPL_NAME_COUNT, 48 * 48);
  });

  it('never repeat a name the account has (whatever its case), even when the random one is taken', () => {
    const first = pickReplName([], () => 0);
    assert.equal(first, 'amber-acorn');
    assert.equal(pickReplName(['Amber-Acorn'], () => 0), 'amber-badger', 'the next free one');
    const taken: string[] = [];
    for (let i = 0; i < REPL_NAME_COUNT; i++) taken.push(pickReplName(taken));
    assert.equal(new Set(taken).size, REPL_NAME_COUNT, 'every name once before any repeats');
    assert.equal(pickReplName(taken, () => 0), 'amber-acorn-2', 'all taken: a number is added');
  });
});

describe('ReplService.create (MemoryRuntime, MemoryStore, SQLite)', () => {
  it('names repls made without a name apart: five Node repls, five names', async () => {
    const l = await memoryRepls();
    try {
      const names = [];
      for (let i = 0; i < 5; i++) names.push((await l.service.create('u-names', 'node')).name);
      assert.equal(new Set(names).size, 5, names.join(', '));
    } finally {
      await l.close();
    }
  });

  it('with start, refuses at the running limit before making anything, naming the repls that run', async () => {
    const l = await memoryRepls({ limits: { running: 1 } });
    try {
      const a = await l.service.create('u-full', 'node', 'runner A');
      await l.service.start('u-full', a.id);
      const keysBefore = await l.keys('workspaces/');
      await assert.rejects(l.service.create('u-full', 'node', undefined, { start: true }), (err: unknown) => {
        assert.ok(isAppError(err) && err.code === 'LIMIT_REACHED', String(err));
        assert.deepEqual(err.details as LimitReachedDetails, { limit: 'running', max: 1, running: [{ id: a.id, name: 'runner A' }] });
        return true;
      });
      assert.deepEqual((await l.service.list('u-full')).map((r) => r.id), [a.id], 'no record left');
      assert.deepEqual(await l.keys('workspaces/'), keysBefore, 'no files left');
      // Without start (a repl to start later) it is made; once A stops, with start too.
      assert.ok(await l.service.create('u-full', 'node'));
      await l.service.stop('u-full', a.id);
      assert.ok(await l.service.create('u-full', 'node', undefined, { start: true }));
    } finally {
      await l.close();
    }
  });
});
