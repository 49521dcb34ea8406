import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockedReason, hostAddressReason } from '../src/addresses.js';

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
  ];
  for (const [ip, why] of blocked) it(`refuses ${ip}`, () => assert.match(blockedReason(ip) ?? 'ALLOWED', why));

  const allowed = ['192.0.2.1', '203.0.113.80', '2001:db8::1', '1.1.1.1', '8.8.8.8', '104.16.0.1', '172.32.0.1', '172.15.255.255', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8'];
  for (const ip of allowed) it(`allows ${ip}`, () => assert.equal(blockedReason(ip), undefined));
});

describe('hostAddressReason', () => {
  it("refuses the machine's own interface addresses, whatever their range", () => {
    const interfaces = { eth0: [{ address: '203.0.113.7', family: 'IPv4' }] } as unknown as Parameters<typeof hostAddressReason>[1];
    assert.match(hostAddressReason('203.0.113.7', interfaces) ?? '', /own/);
    assert.match(hostAddressReason('::ffff:203.0.113.7', interfaces) ?? '', /own/);
    assert.equal(hostAddressReason('203.0.113.8', interfaces), undefined);
  });
});
