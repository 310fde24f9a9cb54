import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { rateLimitHeaders } from './rate-limit-headers.js';
import { createRateLimiter } from './rate-limiter.js';
import type { RateLimitResult } from './rate-limiter.js';

const allowed: RateLimitResult = {
  allowed: true,
  remaining: 12,
  limit: 100,
  windowSec: 60,
  resetMs: 29_200,
  retryAfterMs: 0,
};

describe('rateLimitHeaders', () => {
  it('describes the policy and the remaining quota in the draft-08 form', () => {
    assert.deepEqual(rateLimitHeaders(allowed), {
      'RateLimit-Policy': '"default";q=100;w=60',
      RateLimit: '"default";r=12;t=30',
    });
  });

  it('adds Retry-After in whole seconds, rounded up, when denied', () => {
    const denied = {
      ...allowed,
      allowed: false,
      remaining: 0,
      resetMs: 4_100,
      retryAfterMs: 4_100,
    };
    assert.deepEqual(rateLimitHeaders(denied), {
      'RateLimit-Policy': '"default";q=100;w=60',
      RateLimit: '"default";r=0;t=5',
      'Retry-After': '5',
    });
  });

  it('lists several policies and takes the longest wait among those that denied', () => {
    const ip = { ...allowed, allowed: false, remaining: 0, retryAfterMs: 9_000, resetMs: 9_000 };
    const user = {
      ...allowed,
      limit: 1000,
      windowSec: 3600,
      remaining: 0,
      allowed: false,
      retryAfterMs: 120_000,
      resetMs: 120_000,
    };
    const route = { ...allowed, limit: 10, remaining: 3 };
    const headers = rateLimitHeaders([
      { policy: 'ip', result: ip },
      { policy: 'user', result: user },
      { policy: 'route', result: route },
    ]);
    assert.equal(
      headers['RateLimit-Policy'],
      '"ip";q=100;w=60, "user";q=1000;w=3600, "route";q=10;w=60',
    );
    assert.equal(headers.RateLimit, '"ip";r=0;t=9, "user";r=0;t=120, "route";r=3;t=30');
    assert.equal(headers['Retry-After'], '120');
  });

  it('refuses a policy name that would break the header', () => {
    assert.throws(() => rateLimitHeaders([{ policy: 'a"b', result: allowed }]));
  });

  it('fits what a limiter returns', async () => {
    const rl = createRateLimiter({ store: 'memory', keyPrefix: 'hdr', points: 1, durationSec: 60 });
    await rl.consume('k');
    const headers = rateLimitHeaders(await rl.consume('k'));
    assert.equal(headers['RateLimit-Policy'], '"default";q=1;w=60');
    assert.match(headers.RateLimit ?? '', /^"default";r=0;t=(59|60)$/);
    assert.match(headers['Retry-After'] ?? '', /^(59|60)$/);
  });
});
