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
  // DS-Lite, NAT64 discovery and other protocol assignments: local to a site, never a server.
  ['192.0.0.0', 24, 'IETF protocol assignment'],
  ['192.168.0.0', 16, 'private'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function intToV4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
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

/**
 * Parses any textual IPv6 form (zero compression anywhere, leading zeros, upper case, a zone
 * `%eth0`, a dotted IPv4 tail) into its 8 groups of 16 bits, or undefined when it is not IPv6.
 * Every decision below reads these groups only, so two spellings of one address cannot be
 * judged differently.
 */
export function parseIPv6(ip: string): number[] | undefined {
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  if (net.isIPv6(text) === false) return undefined;
  // A dotted IPv4 tail (::ffff:1.2.3.4, ::1.2.3.4, 64:ff9b::1.2.3.4) becomes two groups.
  const tail = /(?:^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v = v4ToInt(tail[1]!);
    text = `${text.slice(0, -tail[1]!.length)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const left = toGroups(halves[0]);
  const right = toGroups(halves[1]);
  const missing = halves.length === 2 ? 8 - left.length - right.length : 0;
  if (missing < 0) return undefined;
  const groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16));
}

/** Does `groups` start with `prefix` groups, the last of them compared on its top `lastBits` bits? */
function inPrefix(groups: number[], prefix: number[], bits: number): boolean {
  for (let i = 0; i * 16 < bits; i++) {
    const take = Math.min(16, bits - i * 16);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((groups[i]! & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** The IPv4 address in groups `at` and `at + 1`. */
function v4At(groups: number[], at: number): string {
  return intToV4(groups[at]! * 0x10000 + groups[at + 1]!);
}

/**
 * The IPv4 address an IPv6 address stands for, where the address is only a way of writing or
 * reaching an IPv4 one: IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96, RFC 2765),
 * the well-known NAT64 prefix (64:ff9b::/96, RFC 6052) and 6to4 (2002::/16, the relay delivers
 * to the IPv4 in bits 16-47). Such an address is judged by its IPv4 address.
 */
export function embeddedIPv4(groups: number[]): string | undefined {
  const zeros = (from: number, to: number): boolean => groups.slice(from, to).every((g) => g === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return v4At(groups, 6);
  if (zeros(0, 4) && groups[4] === 0xffff && groups[5] === 0) return v4At(groups, 6);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return v4At(groups, 6);
  if (groups[0] === 0x2002) return v4At(groups, 1);
  return undefined;
}

/**
 * IPv6 ranges refused outright, checked in order. Everything outside 2000::/3 (global unicast)
 * that is not listed is refused too, as reserved: an allow-list of the one global range rather
 * than a deny-list that a forgotten special range slips through.
 */
const V6_BLOCKED: Array<[number[], number, string]> = [
  [[0, 0, 0, 0, 0, 0, 0, 0], 128, 'unspecified'],
  [[0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'],
  // ::a.b.c.d: deprecated IPv4-compatible; some stacks still route it to the IPv4 address.
  [[0, 0, 0, 0, 0, 0], 96, 'IPv4-compatible (deprecated)'],
  // NAT64 prefixes a site picks for itself (RFC 8215): the IPv4 behind them is the site's own.
  [[0x64, 0xff9b, 1], 48, 'local-use NAT64'],
  [[0x64, 0xff9b], 32, 'NAT64 (reserved)'],
  [[0x100, 0, 0, 0], 64, 'discard-only'],
  // Teredo hides the peer's IPv4 address (XOR-ed) and reaches it through a relay.
  [[0x2001, 0], 32, 'Teredo tunnel'],
  [[0xfc00], 7, 'unique local (private)'],
  [[0xfe80], 10, 'link-local'],
  [[0xfec0], 10, 'site-local (private, deprecated)'],
  [[0xff00], 8, 'multicast'],
];

/** Why `ip` may not be reached from a repl, or undefined when it is a public address. */
export function blockedReason(ip: string): string | undefined {
  if (net.isIPv4(ip)) return v4Blocked(ip);
  const groups = parseIPv6(ip);
  if (!groups) return 'not an IP address';
  const v4 = embeddedIPv4(groups);
  if (v4 !== undefined) {
    const why = v4Blocked(v4);
    return why === undefined ? undefined : `${why} (IPv4 ${v4} inside IPv6)`;
  }
  for (const [prefix, bits, why] of V6_BLOCKED) if (inPrefix(groups, prefix, bits)) return why;
  if ((groups[0]! & 0xe000) !== 0x2000) return 'reserved (not global unicast)';
  return undefined;
}

/** One spelling per address (IPv4 for IPv4 written inside IPv6), to compare addresses. */
function canonical(ip: string): string {
  if (net.isIPv4(ip)) return ip;
  const groups = parseIPv6(ip);
  if (!groups) return ip;
  return embeddedIPv4(groups) ?? groups.map((g) => g.toString(16)).join(':');
}

/** Why `ip` is refused as one of this machine's own addresses (any interface), else undefined. */
export function hostAddressReason(ip: string, interfaces = os.networkInterfaces()): string | undefined {
  const wanted = canonical(ip);
  for (const list of Object.values(interfaces)) {
    for (const entry of list ?? []) if (canonical(entry.address) === wanted) return "this machine's own";
  }
  return undefined;
}

/**
 * The same promise as CIDR lists, for a filter that cannot look inside addresses (a Kubernetes
 * NetworkPolicy): every blocked IPv4 range, and for IPv6 only global unicast (2000::/3) less
 * Teredo and 6to4, which carry IPv4 addresses such a filter cannot judge (stricter than the
 * egress proxy, which reads the IPv4 inside and lets a public one through).
 */
export const BLOCKED_V4_CIDRS: readonly string[] = Object.freeze(V4_BLOCKED.map(([base, bits]) => `${base}/${bits}`));
export const ALLOWED_V6_CIDR = '2000::/3';
export const BLOCKED_V6_CIDRS: readonly string[] = Object.freeze(['2001::/32', '2002::/16']);

/** Is `cidr` an IPv4 or IPv6 CIDR (`10.0.0.0/8`, `fd00::/8`) with its prefix length in range? */
export function isCidr(cidr: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!match) return false;
  const bits = Number(match[2]);
  if (net.isIPv4(match[1]!)) return bits <= 32;
  return parseIPv6(match[1]!) !== undefined && bits <= 128;
}

/** Does an IPv6 CIDR lie inside 2000::/3 (so it can be an exception to {@link ALLOWED_V6_CIDR})? */
export function inGlobalV6(cidr: string): boolean {
  const groups = parseIPv6(cidr.split('/')[0]!);
  return !!groups && Number(cidr.split('/')[1]) >= 3 && (groups[0]! & 0xe000) === 0x2000;
}
