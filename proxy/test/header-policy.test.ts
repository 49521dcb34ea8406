import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, it } from 'node:test';
import { scrubIncomingHeaders, upstreamHead, upstreamValue } from '../src/header-policy.js';

const forwarding = { clientAddress: '10.0.0.7', scheme: 'https', host: 'abcdefgh2345.example.com' };

describe('header policy: what reaches the repl', () => {
  const rows: Array<[name: string, value: string, upstream: string | undefined]> = [
    ['Authorization', 'Bearer secret', undefined],
    ['proxy-authorization', 'Basic x', undefined],
    ['Forwarded', 'for=6.6.6.6', undefined],
    ['X-Real-IP', '6.6.6.6', undefined],
    ['X-Forwarded-For', '6.6.6.6', undefined],
    ['x-forwarded-anything', 'x', undefined],
    ['Cookie', 'codeyard_host=abc', undefined],
    ['Cookie', 'codeyard_host=abc; theirs=1; codeyard_host=def', 'theirs=1'],
    ['cookie', 'a=1; b=2', 'a=1; b=2'],
    ['Accept', 'text/html', 'text/html'],
    ['Origin', 'https://abcdefgh2345.example.com', 'https://abcdefgh2345.example.com'],
  ];
  for (const [name, value, upstream] of rows) {
    it(`${name}: ${value}`, () => assert.equal(upstreamValue(name, value), upstream));
  }

  it('builds the same head for the full server and the fast path', () => {
    const sent: Array<[string, string]> = [
      ['Host', 'abcdefgh2345.example.com'],
      ['Cookie', 'codeyard_host=abc; theirs=1'],
      ['Authorization', 'Bearer t'],
      ['X-Forwarded-Proto', 'http'],
      ['Accept', '*/*'],
    ];
    const raw = upstreamHead({ method: 'GET', target: '/x?y=1', version: 'HTTP/1.1', headers: sent }, forwarding).toString('latin1');
    assert.equal(
      raw,
      'GET /x?y=1 HTTP/1.1\r\nHost: abcdefgh2345.example.com\r\nCookie: theirs=1\r\nAccept: */*\r\nx-forwarded-for: 10.0.0.7\r\nx-forwarded-proto: https\r\nx-forwarded-host: abcdefgh2345.example.com\r\n\r\n',
    );
    const parsed: http.IncomingHttpHeaders = Object.fromEntries(sent.map(([n, v]) => [n.toLowerCase(), v]));
    scrubIncomingHeaders(parsed, forwarding);
    const fromRaw = Object.fromEntries(
      raw
        .split('\r\n')
        .slice(1, -2)
        .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 2)]),
    );
    assert.deepEqual(parsed, fromRaw);
  });
});
