import type { NodeRequest } from './http-types.js';

function normalise(address: string): string {
  // Dual-stack sockets report IPv4 clients as IPv4-mapped IPv6; rate-limit keys want the IPv4.
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The client's address. `X-Forwarded-For` is honoured only when `trustProxy` hops (load
 * balancer, ingress) are in front of us: the client is the entry that the outermost trusted
 * proxy appended, so a client cannot spoof its address by sending its own header.
 */
export function clientAddress(req: NodeRequest, trustProxy: number): string {
  const peer = normalise(req.socket.remoteAddress ?? '');
  if (trustProxy <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const raw = Array.isArray(header) ? header.join(',') : header;
  if (!raw) return peer;
  const hops = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (hops.length === 0) return peer;
  const index = Math.max(0, hops.length - trustProxy);
  return normalise(hops[index]!);
}
