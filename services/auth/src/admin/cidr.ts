import { isIP } from 'node:net';
import { InvalidArgumentError } from '@kith/errors';

export interface Cidr {
  /** As given (Postgres prints the canonical form back). */
  text: string;
  version: 4 | 6;
  prefix: number;
}

const invalid = (message: string) => new InvalidArgumentError([{ field: 'cidr', message }]);

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function ipv6Bytes(address: string): number[] {
  let text = address;
  let tail: number[] | undefined;
  if (text.includes('.')) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
    const cut = text.lastIndexOf(':') + 1;
    tail = ipv4Bytes(text.slice(cut));
    text = `${text.slice(0, cut)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups =
    rest === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tail) bytes.splice(12, 4, ...tail);
  return bytes;
}

/**
 * A CIDR block a staff member typed: an IPv4 or IPv6 network address and a prefix length. An
 * address with host bits set ("203.0.113.7/24") is refused rather than silently widened: it is
 * usually a typo, and Postgres' `cidr` refuses it too.
 */
export function parseCidr(input: string): Cidr {
  const text = input.trim();
  const parts = text.split('/');
  if (parts.length !== 2) throw invalid('write a CIDR block, e.g. 203.0.113.0/24 or 2001:db8::/48');
  const [address = '', prefixText = ''] = parts;
  const version = address.includes('%') ? 0 : isIP(address);
  if (version !== 4 && version !== 6) throw invalid('not an IP address');
  const bits = version === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    throw invalid(`prefix length must be 0..${bits}`);
  }
  const prefix = Number(prefixText);
  const bytes = version === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  for (let bit = prefix; bit < bits; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) {
      throw invalid('host bits set: give the network address of the block');
    }
  }
  return { text, version, prefix };
}
