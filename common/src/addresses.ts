import net from 'node:net';
import os from 'node:os';

/**
 * Which addresses a repl may reach through the egress proxy: no private, shared (CGNAT),
 * loopback, link-local (cloud metadata lives at 169.254.169.254), multicast or reserved range,
 * for IPv4, IPv6, and IPv4 written inside IPv6. Documentation and benchmarking ranges are not
 * refused: they lead nowhere on the internet, and some sites use them as their gateway to a
 * package registry. The machine's own interface addresses are refused separately
 * ({@link hostAddressReason}), whatever range they are in.
 */
const V4_BLOCKED: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared address space'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.168.0.0', 16, 'private'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function v4Blocked(ip: string): string | undefined {
  const value = v4ToInt(ip);
  for (const [base, bits, why] of V4_BLOCKED) {
    const size = 2 ** (32 - bits);
    const start = v4ToInt(base);
    if (value >= start && value < start + size) return why;
  }
  return undefined;
}

/** Expands an IPv6 address to 8 groups of 16 bits. */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v = v4ToInt(tail[1]!);
    text = `${text.slice(0, -tail[1]!.length)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const missing = rest === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array(missing).fill('0'), ...right].map((g) => parseInt(g || '0', 16));
}

/** Why `ip` may not be reached from a repl, or undefined when it is a public address. */
export function blockedReason(ip: string): string | undefined {
  const family = net.isIP(ip);
  if (family === 4) return v4Blocked(ip);
  if (family !== 6) return 'not an IP address';
  const g = v6Groups(ip);
  const first = g[0]!;
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an IPv4 address: judge that.
  const embedded = `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4Blocked(embedded) ?? undefined;
  if (first === 0x64 && g[1] === 0xff9b) return v4Blocked(embedded);
  if ((first & 0xfe00) === 0xfc00) return 'unique local (private)';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  if (g.slice(0, 6).every((x) => x === 0)) return 'IPv4-compatible (deprecated)';
  return undefined;
}

/** Why `ip` is refused as one of this machine's own addresses (any interface), else undefined. */
export function hostAddressReason(ip: string, interfaces = os.networkInterfaces()): string | undefined {
  for (const list of Object.values(interfaces)) {
    for (const entry of list ?? []) if (entry.address === ip || entry.address === ip.replace(/^::ffff:/, '')) return "this machine's own";
  }
  return undefined;
}
