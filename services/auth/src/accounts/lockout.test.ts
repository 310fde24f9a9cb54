import assert from 'node:assert/strict';
import { test } from 'vitest';
import { lockoutOf } from './lockout.js';
import type { AccountStanding } from './lockout.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const standing = (o: Partial<AccountStanding> = {}): AccountStanding => ({
  disabled_at: null,
  moderation_banned: false,
  moderation_suspended: false,
  moderation_suspended_until: null,
  ...o,
});

test('an account in good standing is not locked out', () => {
  assert.equal(lockoutOf(standing(), NOW), null);
});

test('a suspension without an end lasts until it is lifted', () => {
  assert.equal(lockoutOf(standing({ moderation_suspended: true }), NOW), 'suspended');
});

test('a suspension ends at its until, even before its reversal arrives', () => {
  const until = new Date(NOW.getTime() + 1);
  const suspended = standing({ moderation_suspended: true, moderation_suspended_until: until });
  assert.equal(lockoutOf(suspended, NOW), 'suspended');
  assert.equal(lockoutOf(suspended, until), null);
});

test('a ban has no end; a staff disabling is answered as it always was', () => {
  const far = new Date('2100-01-01T00:00:00.000Z');
  assert.equal(lockoutOf(standing({ moderation_banned: true }), far), 'banned');
  assert.equal(lockoutOf(standing({ disabled_at: NOW, moderation_banned: true }), NOW), 'disabled');
});
