import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isReplId, newReplId, REPL_ID_PATTERN } from '../src/repl-id.js';

describe('repl ids', () => {
  it('makes ids the checker accepts, each one new', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newReplId()));
    assert.equal(ids.size, 200);
    for (const id of ids) assert.ok(isReplId(id) && REPL_ID_PATTERN.test(id), id);
  });

  it('refuses anything that is not one: other types, case, a port suffix, path tricks, a digit first', () => {
    for (const bad of [undefined, 42, '', 'abcdefghijkl-3000', 'ABCDEFGHIJKL', '2bcdefghijkl', '../abcdefghi', 'abcdefghijk', 'abcdefghijklm', 'abcdefghijk1']) {
      assert.equal(isReplId(bad), false, String(bad));
    }
  });
});
