import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import pg from 'pg';
import { requireService } from '@kith/testkit';
import { fastTimestampTypes, parseIsoTimestamp } from './timestamp-parser.js';

const databaseUrl = await requireService('postgres');
const nodePg = pg.types.getTypeParser(1184, 'text') as (v: string) => unknown;
const asTime = (v: unknown) => (v instanceof Date ? v.getTime() : v);

describe('timestamp parser', () => {
  test('reads what postgres-date reads, to the millisecond, and declines every other form', () => {
    let state = 12345;
    const rand = (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % n;
    };
    const pad = (v: number, w: number) => String(v).padStart(w, '0');
    const offsets = ['+00', '-08', '+05:30', '-03:30', '+14', '-12', '+00:00'];
    let parsedFast = 0;
    for (let k = 0; k < 20_000; k++) {
      const fractionDigits = rand(7);
      const fraction = fractionDigits ? `.${pad(rand(10 ** fractionDigits), fractionDigits)}` : '';
      const s =
        `${pad(1000 + rand(9000), 4)}-${pad(1 + rand(12), 2)}-${pad(1 + rand(28), 2)} ` +
        `${pad(rand(24), 2)}:${pad(rand(60), 2)}:${pad(rand(60), 2)}${fraction}${offsets[rand(offsets.length)]}`;
      const fast = parseIsoTimestamp(s);
      assert.ok(fast, s);
      assert.equal(fast.getTime(), asTime(nodePg(s)), s);
      parsedFast++;
    }
    assert.equal(parsedFast, 20_000);
    for (const s of [
      'infinity',
      '-infinity',
      '0099-01-01 00:00:00+00',
      '2026-01-01 00:00:00+05:30:15',
      '2026-01-01 00:00:00 BC',
      '2026-01-01 00:00:00',
      '2026-01-01',
      '2026-01-01T00:00:00Z',
      '2026-01-01 00:00:00.+00',
      '2026-01-01 00:00:00.1234567+00',
    ]) {
      assert.equal(parseIsoTimestamp(s), undefined, s);
      const viaPool = fastTimestampTypes.getTypeParser(1184, 'text') as (v: string) => unknown;
      assert.deepEqual(asTime(viaPool(s)), asTime(nodePg(s)), s);
    }
  });

  test.skipIf(!databaseUrl)(
    'a pool with these parsers reads Postgres timestamps as node-pg does, in any session time zone',
    async () => {
      const fast = new pg.Client({ connectionString: databaseUrl, types: fastTimestampTypes });
      const stock = new pg.Client({ connectionString: databaseUrl });
      await fast.connect();
      await stock.connect();
      try {
        for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Kiritimati']) {
          const statement = `set time zone '${zone}'`;
          await fast.query(statement);
          await stock.query(statement);
          const text = `select t, t::timestamp as naive from (values
          ('2026-12-07 03:52:39.801234+00'::timestamptz), ('2026-12-07 03:52:39.291+00'), ('1999-12-31 23:59:59.999999+00'),
          ('infinity'::timestamptz), ('0044-03-15 12:00:00+00'), ('2026-03-29 01:30:00+00')) v(t)`;
          const [a, b] = await Promise.all([fast.query(text), stock.query(text)]);
          assert.deepEqual(
            a.rows.map((r) => [asTime(r.t), asTime(r.naive)]),
            b.rows.map((r) => [asTime(r.t), asTime(r.naive)]),
            zone,
          );
        }
      } finally {
        await fast.end();
        await stock.end();
      }
    },
  );
});
