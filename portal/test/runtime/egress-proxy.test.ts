import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { blockedReason } from '@codeyard/common/addresses';
import { createEgressProxy, reasonPhrase } from '../../src/runtime/process/egress-proxy.js';

/**
 * The egress proxy with a test double for DNS (names map to addresses we choose) and a connect
 * spy. Refused destinations are refused before any connection is attempted, so no packet is
 * ever sent to them. The one allowed destination is a server on this machine's loopback, which
 * the policy double treats as public for this test only.
 */
describe('egress proxy', () => {
  const dnsDouble: Record<string, string[]> = {
    'metadata.test': ['169.254.169.254'],
    'intranet.test': ['10.1.2.3'],
    'rebind.test': ['127.0.0.1', '10.0.0.1'],
    'mixed.test': ['10.0.0.9', '127.0.0.77'],
    'v6-loopback.test': ['::ffff:0:7f00:1', '::7f00:1', 'fec0::1'],
  };
  const connected: string[] = [];
  let upstream: http.Server;
  let upstreamPort: number;
  let proxy: http.Server;
  let proxyPort: number;

  before(async () => {
    upstream = http.createServer((req, res) => res.end(`upstream saw ${req.method} ${req.url} host=${req.headers.host}`));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.77', r));
    upstreamPort = (upstream.address() as net.AddressInfo).port;
    proxy = createEgressProxy({
      lookup: async (host) => (dnsDouble[host] ?? []).map((address) => ({ address, family: net.isIP(address) })),
      // Loopback 127.0.0.77 stands in for "the public internet"; everything else keeps the real rules.
      blockedReason: (ip) => (ip === '127.0.0.77' ? undefined : blockedReason(ip)),
      connect: (port, host) => {
        connected.push(`${host}:${port}`);
        return net.connect({ port, host });
      },
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyPort = (proxy.address() as net.AddressInfo).port;
  });
  after(() => {
    proxy.close();
    upstream.close();
  });

  function connectThrough(authority: string): Promise<{ status: number; body: string; socket?: net.Socket; statusText?: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: authority });
      req.on('connect', (res, socket, head) => {
        if (res.statusCode === 200) return resolve({ status: 200, body: '', socket, statusText: res.statusMessage });
        let body = head.toString();
        socket.on('data', (c) => (body += c));
        socket.on('end', () => resolve({ status: res.statusCode!, body, statusText: res.statusMessage }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('refuses private, loopback, link-local and metadata destinations without connecting', async () => {
    assert.match((await connectThrough(`mixed.test:25`)).body, /mail/);
    for (const target of ['169.254.169.254:80', 'metadata.test:80', 'intranet.test:443', '10.0.0.1:22', '127.0.0.1:8080', '[::1]:8080', '[fd00::1]:443', '192.168.0.1:443']) {
      const res = await connectThrough(target);
      assert.equal(res.status, 403, target);
      assert.match(res.body, /public internet addresses only/);
    }
    assert.deepEqual(connected, []);
  });

  it('says why in the status line, which is all pip and curl show of a refused tunnel', async () => {
    const res = await connectThrough('intranet.test:443');
    assert.equal(res.status, 403);
    assert.equal(res.statusText, 'Codeyard egress proxy: intranet.test (10.1.2.3) is a private address; repls may reach public internet addresses only');
    assert.match((await connectThrough('mixed.test:587')).statusText ?? '', /^Codeyard egress proxy: port 587 \(mail\) is closed to repls$/);
  });

  it('refuses loopback and private addresses in every IPv6 spelling, literal or resolved, without connecting', async () => {
    const targets = ['[::ffff:0:7f00:1]:80', '[::ffff:7f00:1]:80', '[::7f00:1]:80', '[fec0::1]:443', '[64:ff9b:1::a00:1]:443', '[64:ff9b::a9fe:a9fe]:80', '[2002:a00:1::1]:443', '[2001::1]:443', '[100::1]:80', 'v6-loopback.test:443'];
    for (const target of targets) {
      const res = await connectThrough(target);
      assert.equal(res.status, 403, target);
      assert.match(res.body, /public internet addresses only/, target);
    }
    assert.deepEqual(connected, []);
  });

  it('connects to the address it checked, never to one a second lookup might give', async () => {
    const res = await connectThrough(`mixed.test:${upstreamPort}`);
    assert.equal(res.status, 200);
    res.socket!.write('GET /over-tls-would-go-here HTTP/1.1\r\nhost: mixed.test\r\nconnection: close\r\n\r\n');
    const answer = await new Promise<string>((r) => {
      let data = '';
      res.socket!.on('data', (c) => (data += c));
      res.socket!.on('end', () => r(data));
    });
    assert.match(answer, /upstream saw GET \/over-tls-would-go-here/);
    assert.deepEqual(connected, [`127.0.0.77:${upstreamPort}`]);
    assert.equal((await connectThrough(`rebind.test:${upstreamPort}`)).status, 403);
  });

  it('forwards plain http:// requests with the original Host, and refuses bad ones', async () => {
    const get = (path: string) =>
      new Promise<{ status: number; body: string; statusText?: string }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: proxyPort, path, headers: { host: 'mixed.test' } }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode!, body, statusText: res.statusMessage }));
          })
          .on('error', reject);
      });
    const ok = await get(`http://mixed.test:${upstreamPort}/page?q=1`);
    assert.equal(ok.status, 200);
    assert.match(ok.body, /upstream saw GET \/page\?q=1 host=mixed.test/);
    const metadata = await get('http://169.254.169.254/latest/meta-data/');
    assert.equal(metadata.status, 403);
    assert.match(metadata.statusText ?? '', /^Codeyard egress proxy: 169\.254\.169\.254 .*public internet addresses only$/);
    assert.equal((await get('http://[::ffff:0:a9fe:a9fe]/latest/meta-data/')).status, 403);
    assert.equal((await get('http://[::ffff:127.0.0.1]:8080/')).status, 403);
    assert.equal((await get('/relative')).status, 400);
    assert.equal((await connectThrough('no-port')).status, 400);
  });

  it('keeps a reason phrase to one printable line, whatever name it quotes', () => {
    const phrase = reasonPhrase('evil.test\r\nSet-Cookie: x=1 (10.0.0.1) is a private address');
    assert.doesNotMatch(phrase, /[\r\n]/);
    assert.match(phrase, /^Codeyard egress proxy: evil\.test\?\?Set-Cookie/);
    assert.ok(reasonPhrase('x'.repeat(500)).length <= 230);
  });
});
