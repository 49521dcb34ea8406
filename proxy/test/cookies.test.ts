import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCookies, serializeHostCookie, withoutCookies } from '../src/cookies.js';

describe('cookies', () => {
  it('parses a Cookie header, first value winning', () => {
    const cookies = parseCookies('a=1; b="two"; a=3; c=%20x; broken; =nameless');
    assert.equal(cookies.get('a'), '1');
    assert.equal(cookies.get('b'), 'two');
    assert.equal(cookies.get('c'), ' x');
    assert.equal(cookies.has('broken'), false);
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
