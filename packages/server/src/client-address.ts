import net from 'node:net';
import type { NodeRequest } from './http-types.js';

function normalise(address: string): string {
  // Dual-stack sockets report IPv4 clients as IPv4-mapped IPv6; rate-limit keys want the IPv4.
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Which proxies in front of the process may say who the client is (`X-Forwarded-For`). */
export interface ProxyTrust {
  /** Trusted hops in front of the process; 0 ignores `X-Forwarded-For` (unless `cidrs`). */
  hops: number;
  /**
   * Address ranges of the proxies (`10.0.0.0/8`, `fd00::/8`). When non-empty, the header is
   * honoured only from a peer inside them, and the client is the nearest hop outside them.
   */
  cidrs?: readonly string[];
}

/** Parses `address/prefix`; undefined when it is not a CIDR range. */
function parseCidr(cidr: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
  if (!match) return undefined;
  const family = net.isIP(match[1]!);
  const prefix = Number(match[2]);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address: match[1]!, prefix, family: family as 4 | 6 };
}

function blockListOf(cidrs: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (!parsed) throw new Error(`not a CIDR range: ${JSON.stringify(cidr)}`);
    list.addSubnet(parsed.address, parsed.prefix, parsed.family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

function inside(list: net.BlockList, address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function forwardedHops(req: NodeRequest): string[] {
  const header = req.headers['x-forwarded-for'];
  const raw = Array.isArray(header) ? header.join(',') : header;
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => normalise(s.trim()))
    .filter((s) => s !== '');
}

/**
 * The client's address, resolved once per request. `X-Forwarded-For` is honoured only when
 * proxies are trusted: with a hop count, the client is the entry that the outermost trusted
 * proxy appended, so a client cannot spoof its address by sending its own header; with CIDR
 * ranges, only a peer inside them is believed and the client is the nearest hop outside them.
 */
export function createClientAddress(trust: ProxyTrust): (req: NodeRequest) => string {
  const proxies = trust.cidrs && trust.cidrs.length > 0 ? blockListOf(trust.cidrs) : undefined;
  return (req) => {
    const peer = normalise(req.socket.remoteAddress ?? '');
    if (proxies) {
      if (!inside(proxies, peer)) return peer;
      const hops = forwardedHops(req);
      for (let i = hops.length - 1; i >= 0; i--) {
        if (!inside(proxies, hops[i]!)) return hops[i]!;
      }
      return hops[0] ?? peer;
    }
    if (trust.hops <= 0) return peer;
    const hops = forwardedHops(req);
    if (hops.length === 0) return peer;
    return hops[Math.max(0, hops.length - trust.hops)]!;
  };
}

/** {@link createClientAddress} for one request (hop count only). */
export function clientAddress(req: NodeRequest, trustProxy: number): string {
  return createClientAddress({ hops: trustProxy })(req);
}
