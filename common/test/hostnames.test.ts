import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostnameOf, ideHostname, originFor, parseHost, previewHostname } from '../src/hostnames.js';

const local = { domain: 'localhost' };
const split = { domain: 'codeyard.example.com', previewDomain: 'preview.example.net' };
const ID = 'abcdefgh2345';

describe('parseHost', () => {
  const cases: Array<[string | undefined, typeof local, ReturnType<typeof parseHost>]> = [
    ['localhost:8080', local, { kind: 'portal' }],
    ['LOCALHOST', local, { kind: 'portal' }],
    [`${ID}.localhost:8080`, local, { kind: 'ide', replId: ID }],
    [`${ID}-3000.localhost:8080`, local, { kind: 'preview', replId: ID, port: 3000 }],
    [`${ID}-65535.localhost`, local, { kind: 'preview', replId: ID, port: 65535 }],
    [`${ID}-65536.localhost`, local, { kind: 'unknown' }],
    [`${ID}-0.localhost`, local, { kind: 'unknown' }],
    [`${ID}-03000.localhost`, local, { kind: 'unknown' }],
    [`${ID}-3000-1.localhost`, local, { kind: 'unknown' }],
    ['short.localhost', local, { kind: 'unknown' }],
    [`a.${ID}.localhost`, local, { kind: 'unknown' }],
    [`${ID}.localhost.evil.com`, local, { kind: 'foreign' }],
    ['evil.com', local, { kind: 'foreign' }],
    ['notlocalhost', local, { kind: 'foreign' }],
    [undefined, local, { kind: 'foreign' }],
    ['', local, { kind: 'foreign' }],
    [`${ID}.localhost.:8080`, local, { kind: 'ide', replId: ID }],
    ['[::1]:8080', local, { kind: 'foreign' }],
    [`${ID}.codeyard.example.com`, split, { kind: 'ide', replId: ID }],
    [`${ID}-8080.preview.example.net`, split, { kind: 'preview', replId: ID, port: 8080 }],
    // With a preview domain, apps are never served on the IDE's domain, nor IDEs on the preview domain.
    [`${ID}-8080.codeyard.example.com`, split, { kind: 'unknown' }],
    [`${ID}.preview.example.net`, split, { kind: 'unknown' }],
  ];
  for (const [host, config, expected] of cases) {
    it(`${JSON.stringify(host)} → ${expected.kind}`, () => assert.deepEqual(parseHost(host, config), expected));
  }
});

describe('hostname formatting', () => {
  it('round-trips through parseHost', () => {
    for (const config of [local, split]) {
      assert.deepEqual(parseHost(ideHostname(ID, config), config), { kind: 'ide', replId: ID });
      for (const port of [1, 80, 3000, 65535]) {
        assert.deepEqual(parseHost(previewHostname(ID, port, config), config), { kind: 'preview', replId: ID, port });
      }
    }
  });

  it('puts the port in origins only when it is not the scheme default', () => {
    assert.equal(originFor('x.localhost', { ...local, scheme: 'http', port: 8080 }), 'http://x.localhost:8080');
    assert.equal(originFor('x.example.com', { domain: 'example.com', scheme: 'https', port: 443 }), 'https://x.example.com');
    assert.equal(originFor('x.example.com', { domain: 'example.com', scheme: 'http' }), 'http://x.example.com');
  });

  it('reads the hostname out of Host headers', () => {
    assert.equal(hostnameOf('Foo.Localhost:8080'), 'foo.localhost');
    assert.equal(hostnameOf('[::1]:80'), '[::1]');
  });
});
