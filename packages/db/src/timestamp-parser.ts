import pg from 'pg';

const TIMESTAMPTZ = 1184;
const TIMESTAMP = 1114;

/**
 * node-pg's own parser for timestamps (postgres-date), kept for every form the fast one below
 * does not read.
 */
const slowTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ, 'text') as (v: string) => unknown;
const slowTimestamp = pg.types.getTypeParser(TIMESTAMP, 'text') as (v: string) => unknown;

const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const two = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);

function isDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * The Date postgres-date makes of `2026-12-07 03:52:39.123456+00` (the form Postgres writes a
 * timestamptz in with DateStyle ISO): the same value, bit for bit, including how it truncates
 * the fraction to milliseconds, without its regular expressions. Anything else (BC, infinity,
 * years below 1000, offsets with seconds, no offset) returns undefined.
 */
export function parseIsoTimestamp(s: string): Date | undefined {
  const n = s.length;
  // yyyy-mm-dd hh:mm:ss = 19, then an optional fraction, then ±hh or ±hh:mm.
  if (n < 22 || n > 32) return undefined;
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 32 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58 ||
    !isDigits(s, 0, 4) ||
    !isDigits(s, 5, 7) ||
    !isDigits(s, 8, 10) ||
    !isDigits(s, 11, 13) ||
    !isDigits(s, 14, 16) ||
    !isDigits(s, 17, 19)
  ) {
    return undefined;
  }
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + two(s, 2);
  if (year < 1000) return undefined;
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    const start = ++i;
    let fraction = 0;
    while (i < n && i - start < 6) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      fraction = fraction * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0) return undefined;
    // As 1000 * parseFloat('.123'): an exact quotient of integers is the same double.
    ms = 1000 * (fraction / 10 ** digits);
  }
  const sign = s.charCodeAt(i);
  if ((sign !== 43 && sign !== 45) || !isDigits(s, i + 1, i + 3)) return undefined;
  let offset = two(s, i + 1) * 3600;
  i += 3;
  if (i < n) {
    if (s.charCodeAt(i) !== 58 || i + 3 !== n || !isDigits(s, i + 1, i + 3)) return undefined;
    offset += two(s, i + 1) * 60;
    i += 3;
  }
  if (i !== n) return undefined;
  const utc = Date.UTC(year, two(s, 5) - 1, two(s, 8), two(s, 11), two(s, 14), two(s, 17), ms);
  return new Date(sign === 45 ? utc + offset * 1000 : utc - offset * 1000);
}

/**
 * Type parsers for a pool: timestamps through `parseIsoTimestamp`, everything else as node-pg
 * parses it.
 */
export const fastTimestampTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format !== 'binary') {
      if (oid === TIMESTAMPTZ) return (v: string) => parseIsoTimestamp(v) ?? slowTimestamptz(v);
      if (oid === TIMESTAMP) return (v: string) => parseIsoTimestamp(v) ?? slowTimestamp(v);
    }
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;
