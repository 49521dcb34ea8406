import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cookieValues, serializeHostCookie, withoutCookies } from '../src/cookies.js';

describe('cookies', () => {
  it('reads every value of a cookie, in the order sent, never picking one', () => {
    const header = 'a=1; b="two"; a=3; c=%20x; broken; =nameless';
    assert.deepEqual(cookieValues(header, 'a'), ['1', '3']);
    assert.deepEqual(cookieValues(header, 'b'), ['two']);
    assert.deepEqual(cookieValues(header, 'c'), [' x']);
    assert.deepEqual(cookieValues(header, 'broken'), []);
    assert.deepEqual(cookieValues(undefined, 'a'), []);
  });

  it('keeps a malformed percent-encoding as it was instead of throwing', () => {
    assert.deepEqual(cookieValues('t=%E0%A4%A', 't'), ['%E0%A4%A']);
  });

  it('removes only the named cookies', () => {
    assert.equal(withoutCookies('codeyard_host=s; app=1; codeyard_hostx=2', ['codeyard_host']), 'app=1; codeyard_hostx=2');
    assert.equal(withoutCookies('codeyard_host=s', ['codeyard_host']), undefined);
    assert.equal(withoutCookies(undefined, ['x']), undefined);
  });

  it('writes host-only cookies: never a Domain attribute', () => {
    const cookie = serializeHostCookie('codeyard_host', 'v', { maxAgeSeconds: 60, secure: true });
    assert.equal(cookie, 'codeyard_host=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure');
    assert.doesNotMatch(cookie, /Domain/i);
  });
});
