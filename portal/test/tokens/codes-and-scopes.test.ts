import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeScopes, requiredScope } from '../../src/api/credential.js';
import { formatUserCode, newUserCode, normalizeUserCode, USER_CODE_ALPHABET } from '../../src/tokens/user-code.js';

describe('user codes', () => {
  it('are two groups of four letters with nothing to mistake (no 0/O, 1/I/L doubt, no vowels)', () => {
    for (const banned of ['0', 'O', '1', 'I', 'A', 'E', 'U', 'Y']) assert.ok(!USER_CODE_ALPHABET.includes(banned), banned);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const code = newUserCode();
      assert.match(code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      seen.add(code);
    }
    assert.equal(seen.size, 200, 'no repeats in 200 draws');
  });

  it('are read as typed, whatever the case, dashes and spaces; anything else is not a code', () => {
    const table: [string, string | undefined][] = [
      ['WDJB-MJHT', 'WDJBMJHT'],
      ['wdjb mjht', 'WDJBMJHT'],
      [' wdjbmjht ', 'WDJBMJHT'],
      ['WDJB-MJH', undefined],
      ['WDJB-MJHTX', undefined],
      ['WDJB-MJH0', undefined],
      ['WDJB-MJHA', undefined],
      ['', undefined],
    ];
    for (const [typed, expected] of table) assert.equal(normalizeUserCode(typed), expected, JSON.stringify(typed));
    assert.equal(formatUserCode('WDJBMJHT'), 'WDJB-MJHT');
  });
});

describe('scopes', () => {
  it('need read for safe methods and write for the rest, unless the route says', () => {
    const table: [string, 'read' | 'write' | 'admin' | undefined, string][] = [
      ['GET', undefined, 'read'],
      ['HEAD', undefined, 'read'],
      ['POST', undefined, 'write'],
      ['PATCH', undefined, 'write'],
      ['DELETE', undefined, 'write'],
      ['DELETE', 'read', 'read'],
      ['GET', 'admin', 'admin'],
    ];
    for (const [method, route, needed] of table) assert.equal(requiredScope(method, route), needed, `${method} ${route}`);
  });

  it('count write as read and write, in one order', () => {
    assert.deepEqual(normalizeScopes(['write']), ['read', 'write']);
    assert.deepEqual(normalizeScopes(['admin', 'read']), ['read', 'admin']);
    assert.deepEqual(normalizeScopes(['read']), ['read']);
  });
});
