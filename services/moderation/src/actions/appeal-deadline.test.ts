import assert from 'node:assert/strict';
import { test } from 'vitest';
import { appealDeadlineOf } from './apply.js';

test('the appeal deadline is six calendar months on, the month’s last day when it has no such day', () => {
  const at = (iso: string) => appealDeadlineOf(new Date(iso)).toISOString();
  assert.equal(at('2026-12-06T10:15:30.123Z'), '2027-06-06T10:15:30.123Z');
  assert.equal(at('2026-08-31T23:59:59.999Z'), '2027-02-28T23:59:59.999Z');
  assert.equal(at('2027-08-31T00:00:00.000Z'), '2028-02-29T00:00:00.000Z');
  assert.equal(at('2026-03-31T12:00:00.000Z'), '2026-09-30T12:00:00.000Z');
});
