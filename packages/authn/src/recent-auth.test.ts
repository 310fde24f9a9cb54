import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { Principal } from '@kith/context';
import { FailedPreconditionError, UnauthenticatedError } from '@kith/errors';
import { RECENT_AUTH_WINDOW_MS, requireRecentAuth } from './recent-auth.js';

const now = new Date('2026-12-03T12:00:00Z');
const sec = (d: Date) => Math.floor(d.getTime() / 1000);
const session = (authTime?: number): Principal => ({
  userId: 'u',
  sessionId: 's',
  role: 'user',
  via: 'access_token',
  scopes: ['*'],
  issuedAt: sec(now),
  ...(authTime === undefined ? {} : { authTime }),
});

test('a proof within the window passes; an older one asks for Reauthenticate', () => {
  requireRecentAuth(session(sec(now) - 60), now);
  requireRecentAuth(session(sec(now) - RECENT_AUTH_WINDOW_MS / 1000), now);
  assert.throws(
    () => requireRecentAuth(session(sec(now) - RECENT_AUTH_WINDOW_MS / 1000 - 1), now),
    (e: Error) => e instanceof FailedPreconditionError && /Reauthenticate/.test(e.message),
  );
  assert.throws(
    () => requireRecentAuth(session(sec(now) - 600), now, 300_000),
    FailedPreconditionError,
  );
});

test('a token without auth_time, an API key or no caller never qualifies', () => {
  assert.throws(() => requireRecentAuth(session(), now), FailedPreconditionError);
  const key: Principal = { ...session(sec(now)), via: 'api_key', apiKeyId: 'k' };
  delete (key as { sessionId?: string }).sessionId;
  assert.throws(() => requireRecentAuth(key, now), UnauthenticatedError);
  assert.throws(() => requireRecentAuth(undefined, now), UnauthenticatedError);
});
