import assert from 'node:assert/strict';
import { test } from 'vitest';
import { inQuietWindow } from './quiet-hours.js';

const night = { startMinute: 22 * 60, endMinute: 7 * 60, timeZone: 'Europe/Berlin' };

test('a window past midnight holds late evening and early morning in its own time zone', () => {
  // 21:30 UTC is 22:30 in Berlin (winter, UTC+1): inside.
  assert.equal(inQuietWindow(night, new Date('2026-12-03T21:30:00Z'), ''), true);
  // 05:59 UTC is 06:59 in Berlin: inside; 06:00 UTC is 07:00: the end is not included.
  assert.equal(inQuietWindow(night, new Date('2026-12-04T05:59:00Z'), ''), true);
  assert.equal(inQuietWindow(night, new Date('2026-12-04T06:00:00Z'), ''), false);
  // 12:00 UTC is 13:00 in Berlin: outside.
  assert.equal(inQuietWindow(night, new Date('2026-12-04T12:00:00Z'), ''), false);
});

test('a window within the day, all day, and the fallback zones', () => {
  const lunch = { startMinute: 12 * 60, endMinute: 13 * 60, timeZone: '' };
  // No zone on the window: the user's settings zone, else UTC.
  assert.equal(inQuietWindow(lunch, new Date('2026-12-04T11:30:00Z'), 'Europe/Berlin'), true);
  assert.equal(inQuietWindow(lunch, new Date('2026-12-04T11:30:00Z'), ''), false);
  assert.equal(inQuietWindow(lunch, new Date('2026-12-04T12:30:00Z'), ''), true);
  // An unknown zone falls back instead of failing the delivery.
  assert.equal(
    inQuietWindow({ ...lunch, timeZone: 'Mars/Olympus' }, new Date('2026-12-04T12:30:00Z'), ''),
    true,
  );
  const allDay = { startMinute: 300, endMinute: 300, timeZone: 'UTC' };
  assert.equal(inQuietWindow(allDay, new Date('2026-12-04T00:00:00Z'), ''), true);
});
