import assert from 'node:assert/strict';
import { test } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { RateRuleSchema } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { countInWindow, exceeds, windowMs, windowStartMs } from './rate-window.js';

const MINUTE = 60_000;
const NOW = 1_700_000_000_000;

test('the first max_events events in a window are allowed; the next one exceeds', () => {
  const earlier: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    assert.equal(exceeds(earlier, NOW + i, 10 * MINUTE, 3), false, `event ${i + 1}`);
    earlier.push(NOW + i);
  }
  assert.equal(exceeds(earlier, NOW + 3, 10 * MINUTE, 3), true, 'event 4');
  assert.equal(exceeds([...earlier, NOW + 3], NOW + 4, 10 * MINUTE, 3), true, 'event 5');
});

test('with max_events 1 the second event in the window exceeds', () => {
  assert.equal(exceeds([], NOW, MINUTE, 1), false);
  assert.equal(exceeds([NOW - 1], NOW, MINUTE, 1), true);
});

test('events older than the window do not count; one exactly a window old does not either', () => {
  assert.equal(exceeds([NOW - MINUTE - 1, NOW - MINUTE], NOW, MINUTE, 1), false);
  assert.equal(exceeds([NOW - MINUTE + 1], NOW, MINUTE, 1), true);
  assert.equal(countInWindow([NOW - MINUTE, NOW - MINUTE + 1, NOW], NOW, MINUTE), 2);
});

test('events after this one do not count toward it', () => {
  assert.equal(exceeds([NOW + 1, NOW + 1000], NOW, MINUTE, 1), false);
  assert.equal(countInWindow([NOW], NOW, MINUTE), 1, 'an event at the same instant counts');
});

test('the window slides: an old burst stops counting once it falls out', () => {
  const burst = [0, 1, 2, 3, 4].map((i) => NOW + i * 1000);
  const later = NOW + 4000;
  assert.equal(exceeds(burst, later + 1, MINUTE, 5), true);
  assert.equal(exceeds(burst, NOW + MINUTE + 2000, MINUTE, 5), false);
});

test('the order of the timestamps does not matter', () => {
  const times = [NOW - 5, NOW - 50_000, NOW - 1, NOW - 2 * MINUTE];
  assert.equal(countInWindow(times, NOW, MINUTE), 3);
  assert.equal(countInWindow([...times].reverse(), NOW, MINUTE), 3);
});

test('windowStartMs is the earliest timestamp still counted', () => {
  const start = windowStartMs(NOW, MINUTE);
  assert.equal(countInWindow([start], NOW, MINUTE), 1);
  assert.equal(countInWindow([start - 1], NOW, MINUTE), 0);
});

test("a rule's Duration window is read in milliseconds", () => {
  const rule = create(RateRuleSchema, { maxEvents: 20, window: durationFromMs(10 * MINUTE) });
  assert.equal(windowMs(rule), 10 * MINUTE);
  assert.equal(windowMs(create(RateRuleSchema, {})), 0);
});
