import assert from 'node:assert/strict';
import { test } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';

const settings = { minDelayMs: 500, maxDelayMs: 30_000 };

test('the window doubles per attempt from twice the floor and stops at the ceiling', () => {
  const highest = [0, 1, 2, 3, 4, 5, 6, 10, 100].map((n) => backoffDelay(n, settings, () => 1));
  assert.deepEqual(highest, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
});

test('no delay is below the floor, even with no jitter drawn', () => {
  for (const attempt of [0, 1, 7, 1_000])
    assert.equal(
      backoffDelay(attempt, settings, () => 0),
      500,
    );
});

test('the first attempts already spread out (full jitter over the window)', () => {
  assert.equal(
    backoffDelay(0, settings, () => 0.5),
    750,
  );
  assert.equal(
    backoffDelay(3, settings, () => 0.25),
    500 + 0.25 * 7_500,
  );
});

test('a ceiling below the floor wins, and the defaults are 500 ms to 30 s', () => {
  assert.equal(
    backoffDelay(3, { minDelayMs: 500, maxDelayMs: 200 }, () => 1),
    200,
  );
  assert.deepEqual(DEFAULT_BACKOFF, settings);
});
