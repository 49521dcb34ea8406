import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeepLinkError, deepLinkFromArgv, formatDeepLink, parseDeepLink } from '../../src/main/deep-link.js';
import { normalizeServerUrl, ServerUrlError } from '../../src/main/server-url.js';

const REPL = 'abcdefghijkl';

describe('deep links', () => {
  it('opens a repl on a server, with or without a preview port', () => {
    assert.deepEqual(parseDeepLink(`codeyard://open?server=https://codeyard.example.com&repl=${REPL}`), { action: 'open', server: 'https://codeyard.example.com', replId: REPL });
    assert.deepEqual(parseDeepLink(`codeyard://open?server=http%3A%2F%2Flocalhost%3A8080&repl=${REPL}&port=3000`), { action: 'open', server: 'http://localhost:8080', replId: REPL, port: 3000 });
    assert.deepEqual(parseDeepLink(`CODEYARD://OPEN?server=https://x.example&repl=${REPL}`).server, 'https://x.example');
  });

  it('round-trips with the link the portal builds', () => {
    const link = formatDeepLink({ server: 'http://localhost:8080', replId: REPL, port: 5173 });
    assert.deepEqual(parseDeepLink(link), { action: 'open', server: 'http://localhost:8080', replId: REPL, port: 5173 });
  });

  const refused: Array<[string, RegExp]> = [
    [`https://open?server=https://x.example&repl=${REPL}`, /not a codeyard/],
    [`codeyard://delete?server=https://x.example&repl=${REPL}`, /unknown link action/],
    [`codeyard://open/extra?server=https://x.example&repl=${REPL}`, /unknown link path/],
    [`codeyard://open?server=https://x.example&repl=${REPL}&token=x`, /unknown link parameter "token"/],
    [`codeyard://open?server=https://x.example&repl=${REPL}&repl=${REPL}`, /repeats "repl"/],
    ['codeyard://open?server=https://x.example&repl=../../etc', /no valid repl id/],
    [`codeyard://open?repl=${REPL}`, /server is not acceptable: the server address is empty/],
    [`codeyard://open?server=javascript:alert(1)&repl=${REPL}`, /server is not acceptable/],
    [`codeyard://open?server=file:///etc/passwd&repl=${REPL}`, /server is not acceptable/],
    [`codeyard://open?server=http://evil.example&repl=${REPL}`, /use https/],
    [`codeyard://open?server=https://user:pw@x.example&repl=${REPL}`, /no user name or password/],
    [`codeyard://open?server=https://x.example/path&repl=${REPL}`, /without a path/],
    [`codeyard://open?server=https://x.example&repl=${REPL}&port=0`, /port is not a port number/],
    [`codeyard://open?server=https://x.example&repl=${REPL}&port=70000`, /port is not a port number/],
    [`codeyard://open?server=https://x.example&repl=${REPL}#frag`, /never has/],
    [`codeyard://user@open?server=https://x.example&repl=${REPL}`, /never has/],
    [`codeyard://open?server=https://x.example&repl=${REPL}&pad=${'x'.repeat(5000)}`, /too long/],
  ];
  for (const [link, why] of refused) {
    it(`refuses ${link.slice(0, 70)}`, () => assert.throws(() => parseDeepLink(link), (err: Error) => err instanceof DeepLinkError && why.test(err.message)));
  }

  it('finds the link among a second instance\'s arguments, never a switch', () => {
    assert.equal(deepLinkFromArgv(['/usr/bin/codeyard', '--no-sandbox', `codeyard://open?server=https://x.example&repl=${REPL}`]), `codeyard://open?server=https://x.example&repl=${REPL}`);
    assert.equal(deepLinkFromArgv(['/usr/bin/codeyard', '--flag=codeyard://open']), undefined);
  });
});

describe('server addresses', () => {
  it('keeps the origin, adds the scheme to a bare host (http only for this machine)', () => {
    assert.equal(normalizeServerUrl('codeyard.example.com'), 'https://codeyard.example.com');
    assert.equal(normalizeServerUrl('localhost:8080'), 'http://localhost:8080');
    assert.equal(normalizeServerUrl('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
    assert.equal(normalizeServerUrl('http://[::1]:8080'), 'http://[::1]:8080');
    assert.equal(normalizeServerUrl(' https://Codeyard.Example.com:443 '), 'https://codeyard.example.com');
  });
  it('refuses plain http over a network, other schemes and junk, saying why', () => {
    for (const [input, why] of [
      ['http://192.168.1.10:8080', /reached over the network: use https/],
      ['http://codeyard.example.com', /use https/],
      ['ftp://x.example', /starts with https/],
      ['https://x.example?next=/', /without a path, query/],
      ['', /empty/],
      ['https://x example', /spaces/],
    ] as const) {
      assert.throws(() => normalizeServerUrl(input), (err: Error) => err instanceof ServerUrlError && why.test(err.message), input);
    }
  });
});
