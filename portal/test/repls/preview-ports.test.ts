import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPortPublic, listedPorts, type PortSettings } from '../../src/repls/preview-ports.js';

describe('preview port visibility', () => {
  const fresh: PortSettings = { manifest: { port: 3000 } };
  const set: PortSettings = { manifest: { port: 3000 }, ports: { '3000': 'private', '5173': 'public', '9229': 'private' } };
  const table: Array<[string, PortSettings, number, boolean]> = [
    ['the declared app port, by default', fresh, 3000, true],
    ['any other port, by default (even one bound to 127.0.0.1 inside)', fresh, 3001, false],
    ['a debugger port, by default', fresh, 9229, false],
    ['the app port once made private', set, 3000, false],
    ['another port once made public', set, 5173, true],
    ['another port set private', set, 9229, false],
    ['an unset port of a repl with settings', set, 8080, false],
  ];
  for (const [what, record, port, expected] of table) it(`${expected ? 'public' : 'private'}: ${what}`, () => assert.equal(isPortPublic(record, port), expected));

  it('lists the app port and every port set, in order', () => {
    assert.deepEqual(listedPorts(fresh), [{ port: 3000, visibility: 'public' }]);
    assert.deepEqual(listedPorts(set), [
      { port: 3000, visibility: 'private' },
      { port: 5173, visibility: 'public' },
      { port: 9229, visibility: 'private' },
    ]);
  });
});
