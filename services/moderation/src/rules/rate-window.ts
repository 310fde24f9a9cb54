// Sliding-window arithmetic for rate rules (RateRule): whether an account's event is beyond
// max_events within the window. Pure, so that the store (Postgres) only fetches timestamps.
// The window ending at an event is half-open, (now − window, now]: an event exactly one window
// old no longer counts, and events after this one (delivered out of order) never do.
import { durationMs } from '@bufbuild/protobuf/wkt';
import type { RateRule } from '@kith/gen/kith/moderation/v1/rules_pb.js';

/** The rule's window in milliseconds (validation requires it; 0 when unset). */
export function windowMs(rule: Pick<RateRule, 'window'>): number {
  return rule.window ? durationMs(rule.window) : 0;
}

/** The earliest timestamp that still counts for an event at nowMs (exclusive bound − 1 ms). */
export function windowStartMs(nowMs: number, windowLengthMs: number): number {
  return nowMs - windowLengthMs + 1;
}

/** How many of the earlier events fall in the window ending at nowMs. */
export function countInWindow(
  earlierTimesMs: readonly number[],
  nowMs: number,
  windowLengthMs: number,
): number {
  const start = windowStartMs(nowMs, windowLengthMs);
  let count = 0;
  for (const time of earlierTimesMs) if (time >= start && time <= nowMs) count += 1;
  return count;
}

/**
 * Whether the event at nowMs exceeds the rule: with it, the window holds more than maxEvents
 * events (it is the (maxEvents+1)-th or later). earlierTimesMs are the account's other counted
 * events, not including this one; those outside the window are ignored, so the caller may pass
 * a superset.
 */
export function exceeds(
  earlierTimesMs: readonly number[],
  nowMs: number,
  windowLengthMs: number,
  maxEvents: number,
): boolean {
  return countInWindow(earlierTimesMs, nowMs, windowLengthMs) + 1 > maxEvents;
}
