import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockedReason, hostAddressReason, parseIPv6 } from '../src/addresses.js';

// Pure classification: no packet is sent to any of these addresses.
describe('blockedReason', () => {
  const blocked: Array<[string, RegExp]> = [
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['169.254.169.254', /metadata/],
    ['100.64.0.1', /shared/],
    ['0.0.0.0', /this network/],
    ['224.0.0.251', /multicast/],
    ['255.255.255.255', /reserved/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fd00::1', /unique local/],
    ['fe80::1%eth0', /link-local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:10.0.0.1', /private/],
    ['::ffff:a9fe:a9fe', /metadata/],
    ['64:ff9b::10.0.0.1', /private/],
    ['example.com', /not an IP/],
    // Every other spelling of loopback, private and metadata addresses inside IPv6.
    ['::ffff:7f00:1', /loopback/],
    ['::FFFF:7F00:0001', /loopback/],
    ['0:0:0:0:0:ffff:127.0.0.1', /loopback/],
    ['::ffff:0:7f00:1', /loopback/], // IPv4-translated (RFC 2765)
    ['::ffff:0:127.0.0.1', /loopback/],
    ['0:0:0:0:ffff:0:a00:1', /private/],
    ['::ffff:0:a9fe:a9fe', /metadata/],
    ['::7f00:1', /IPv4-compatible/],
    ['::127.0.0.1', /IPv4-compatible/],
    ['::10.0.0.1', /IPv4-compatible/],
    ['::8.8.8.8', /IPv4-compatible/],
    ['0:0:0:0:0:0:0:1', /loopback/],
    ['0000:0000:0000:0000:0000:0000:0000:0001', /loopback/],
    ['::0:1', /loopback/],
    ['0::', /unspecified/],
    ['::ffff:0:0', /this network/],
    ['64:ff9b::7f00:1', /loopback/],
    ['64:ff9b::a9fe:a9fe', /metadata/],
    ['64:ff9b::192.168.0.1', /private/],
    ['64:ff9b:1::1', /local-use NAT64/],
    ['64:ff9b:1:ffff::8.8.8.8', /local-use NAT64/],
    ['64:ff9b:2::1', /NAT64/],
    ['2002:7f00:1::', /loopback/], // 6to4 of 127.0.0.1
    ['2002:a00:1::1', /private/],
    ['2002:c0a8:101:1::1', /private/],
    ['2002:a9fe:a9fe::', /metadata/],
    ['2001::1', /Teredo/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
    ['100::1', /discard/],
    ['100::ffff:ffff:ffff:ffff', /discard/],
    ['fc00::1', /unique local/],
    ['fdff:ffff::1', /unique local/],
    ['FE80::1', /link-local/],
    ['febf:ffff::1', /link-local/],
    ['fec0::1', /site-local/],
    ['feff::1', /site-local/],
    ['ff00::', /multicast/],
    ['ff05::1:3', /multicast/],
    ['1::1', /reserved/],
    ['4000::1', /reserved/],
    ['192.0.0.170', /protocol assignment/],
    ['not::an::ip', /not an IP/],
    ['::ffff:1.2.3', /not an IP/],
  ];
  for (const [ip, why] of blocked) it(`refuses ${ip}`, () => assert.match(blockedReason(ip) ?? 'ALLOWED', why));

  const allowed = ['192.0.2.1', '203.0.113.80', '2001:db8::1', '1.1.1.1', '8.8.8.8', '104.16.0.1', '172.32.0.1', '172.15.255.255', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8',
    '::ffff:808:808', '::ffff:0:808:808', '64:ff9b::808:808', '2002:808:808::1', '2001:4860:4860::8888', '2a00:1450::1', '3fff::1', '2001:2::1'];
  for (const ip of allowed) it(`allows ${ip}`, () => assert.equal(blockedReason(ip), undefined));
});

describe('parseIPv6', () => {
  const same: Array<[string, string]> = [
    ['::', '0:0:0:0:0:0:0:0'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['1::', '1:0:0:0:0:0:0:0'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['1:0::8', '1:0:0:0:0:0:0:8'],
    ['::ffff:1.2.3.4', '0:0:0:0:0:ffff:102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['FE80::0001%eth0', 'fe80:0:0:0:0:0:0:1'],
  ];
  for (const [text, groups] of same)
    it(`reads ${text}`, () => assert.equal(parseIPv6(text)?.map((g) => g.toString(16)).join(':'), groups));
  for (const bad of ['1.2.3.4', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', ''])
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(parseIPv6(bad), undefined));
});

describe('hostAddressReason', () => {
  it("refuses the machine's own interface addresses, whatever their range", () => {
    const interfaces = { eth0: [{ address: '203.0.113.7', family: 'IPv4' }] } as unknown as Parameters<typeof hostAddressReason>[1];
    assert.match(hostAddressReason('203.0.113.7', interfaces) ?? '', /own/);
    assert.match(hostAddressReason('::ffff:203.0.113.7', interfaces) ?? '', /own/);
    assert.match(hostAddressReason('::ffff:cb00:7107', interfaces) ?? '', /own/);
    assert.match(hostAddressReason('::ffff:0:cb00:7107', interfaces) ?? '', /own/);
    const v6 = { eth0: [{ address: '2001:db8:0:0::7', family: 'IPv6' }] } as unknown as Parameters<typeof hostAddressReason>[1];
    assert.match(hostAddressReason('2001:DB8::0:7', v6) ?? '', /own/);
    assert.equal(hostAddressReason('203.0.113.8', interfaces), undefined);
  });
});
