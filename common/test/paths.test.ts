import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../src/errors.js';
import { checkRelativePath } from '../src/paths.js';

describe('checkRelativePath', () => {
  const good: Array<[string, string]> = [
    ['index.js', 'index.js'],
    ['src/App.jsx', 'src/App.jsx'],
    ['dir/', 'dir'],
    ['.gitignore', '.gitignore'],
    ['a..b/c...', 'a..b/c...'],
    ['ünïcode/файл.txt', 'ünïcode/файл.txt'],
  ];
  for (const [input, expected] of good) it(`accepts ${JSON.stringify(input)}`, () => assert.equal(checkRelativePath(input), expected));

  const bad: Array<[string, RegExp]> = [
    ['../etc/passwd', /"\." or "\.\."/],
    ['a/../../b', /"\." or "\.\."/],
    ['a/./b', /"\." or "\.\."/],
    ['..', /"\." or "\.\."/],
    ['/etc/passwd', /relative/],
    ['a//b', /empty segment/],
    ['a\u0000b', /NUL or control/],
    ['a\nb', /NUL or control/],
    ['a\\..\\b', /backslash/],
    ['', /empty/],
    ['x'.repeat(901), /longer than/],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input.slice(0, 20))}`, () => {
      assert.throws(() => checkRelativePath(input), (err: unknown) => err instanceof AppError && err.code === 'INVALID_PATH' && message.test(err.message));
    });
  }

  it('allows the root only when asked', () => {
    assert.equal(checkRelativePath('', 'dir', true), '');
    assert.throws(() => checkRelativePath(''), AppError);
  });
});
