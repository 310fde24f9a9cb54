import { isIP } from 'node:net';

/** The bucket for anything that is not an IP address, so malformed input cannot dodge limits. */
export const INVALID_CLIENT_KEY = 'invalid';

/**
 * The rate-limit key for a client address. IPv4 stays as is; an IPv6 address is reduced to
 * its /64, because one subscriber is routinely handed a whole /64 and could otherwise rotate
 * through 2^64 addresses; an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, as Node reports IPv4
 * peers on dual-stack sockets) becomes the IPv4 address.
 */
export function clientKey(ip: string): string {
  // Zone ids (fe80::1%eth0) name a local interface, not a different client.
  const address = ip.trim().replace(/%.*$/, '');
  const version = isIP(address);
  if (version === 4) return address;
  if (version !== 6) return INVALID_CLIENT_KEY;
  const hextets = expandIPv6(address);
  if (isIPv4Mapped(hextets)) {
    const [high, low] = [hextets[6] ?? 0, hextets[7] ?? 0];
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${compress(hextets.slice(0, 4))}::/64`;
}

/** Eight 16-bit groups from any valid IPv6 text form (with `::` and an embedded IPv4 tail). */
function expandIPv6(address: string): number[] {
  let text = address.toLowerCase();
  const ipv4Tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (ipv4Tail) {
    const [a, b, c, d] = ipv4Tail.slice(1).map(Number) as [number, number, number, number];
    const tail = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    text = text.slice(0, ipv4Tail.index) + tail;
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const left = parse(head);
  if (rest === undefined) return left;
  const right = parse(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function isIPv4Mapped(hextets: number[]): boolean {
  return hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff;
}

/** Four groups in lowercase hex without leading zeros; trailing zero groups fold into `::`. */
function compress(groups: number[]): string {
  const trimmed = [...groups];
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === 0) trimmed.pop();
  return trimmed.map((g) => g.toString(16)).join(':');
}
