import net from 'node:net';
import { z } from 'zod';

// Environment variables are strings; these helpers turn them into typed values with messages
// that name the expectation but never repeat the input (it may be a secret).

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** 'true' | '1' | 'yes' | 'on' → true; 'false' | '0' | 'no' | 'off' → false (case-insensitive). */
export function envBool() {
  return z.string().transform((raw, ctx) => {
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    ctx.addIssue({
      code: 'custom',
      message: 'expected a boolean (true/false, 1/0, yes/no, on/off)',
    });
    return z.NEVER;
  });
}

export interface EnvIntOptions {
  min?: number;
  max?: number;
}

/** A base-10 integer, optionally bounded. */
export function envInt({ min, max }: EnvIntOptions = {}) {
  let target = z.number().int();
  if (min !== undefined) target = target.min(min);
  if (max !== undefined) target = target.max(max);
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/, { message: 'expected an integer' })
    .transform(Number)
    .pipe(target);
}

/** Comma-separated values, trimmed, empty items dropped: 'a, b,,c' → ['a', 'b', 'c']. */
export function envList() {
  return z.string().transform((raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );
}

/** True for `address/prefix` with an IPv4 or IPv6 address and a prefix in range. */
export function isCidr(value: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const family = net.isIP(match[1]!);
  return family !== 0 && Number(match[2]) <= (family === 4 ? 32 : 128);
}

/** Comma-separated CIDR ranges (`10.0.0.0/8, fd00::/8`). */
export function envCidrList() {
  return envList().superRefine((items, ctx) => {
    for (const item of items) {
      if (!isCidr(item)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected CIDR ranges such as 10.0.0.0/8, got ${JSON.stringify(item)}`,
        });
      }
    }
  });
}

export interface EnvUrlOptions {
  /** Allowed schemes without the colon, e.g. ['postgres', 'postgresql']. */
  protocols?: readonly string[];
}

/** An absolute URL, optionally restricted to some schemes. Kept as a string. */
export function envUrl({ protocols }: EnvUrlOptions = {}) {
  if (!protocols) return z.url({ message: 'expected an absolute URL' });
  const pattern = new RegExp(`^(${protocols.map(escapeRegExp).join('|')})$`);
  return z.url({
    protocol: pattern,
    message: `expected a URL with scheme ${protocols.map((p) => `${p}:`).join(' or ')}`,
  });
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses '500ms', '30s', '5m', '2h' or plain milliseconds ('1500'); undefined when malformed. */
export function parseDurationMs(raw: string): number | undefined {
  const match = /^(\d+)\s*(ms|s|m|h)?$/.exec(raw.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = DURATION_UNITS[match[2] ?? 'ms'] ?? 1;
  const ms = amount * unit;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A duration in milliseconds from '500ms', '30s', '5m', '2h' or plain milliseconds. */
export function envDurationMs() {
  return z.string().transform((raw, ctx) => {
    const ms = parseDurationMs(raw);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: "expected a duration such as '500ms', '30s', '5m', '2h' or milliseconds",
      });
      return z.NEVER;
    }
    return ms;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
