import type { RateLimitResult } from './rate-limiter.js';

export interface NamedRateLimitResult {
  /** Policy name, e.g. 'ip', 'user', 'login'. */
  policy: string;
  result: RateLimitResult;
}

/**
 * Response headers per draft-ietf-httpapi-ratelimit-headers-08:
 * `RateLimit-Policy: "default";q=100;w=60`, `RateLimit: "default";r=12;t=30`, and
 * `Retry-After` (seconds) when a policy denied the request. Several policies (per IP, per
 * user…) are listed together; Retry-After is the longest wait among those that denied.
 */
export function rateLimitHeaders(
  results: RateLimitResult | readonly NamedRateLimitResult[],
): Record<string, string> {
  const named: readonly NamedRateLimitResult[] = Array.isArray(results)
    ? results
    : [{ policy: 'default', result: results as RateLimitResult }];
  if (named.length === 0) return {};
  const policies: string[] = [];
  const states: string[] = [];
  let retryAfterSec = 0;
  for (const { policy, result } of named) {
    const name = quote(policy);
    policies.push(`${name};q=${result.limit};w=${result.windowSec}`);
    states.push(`${name};r=${result.remaining};t=${Math.ceil(result.resetMs / 1000)}`);
    if (!result.allowed)
      retryAfterSec = Math.max(retryAfterSec, Math.ceil(result.retryAfterMs / 1000), 1);
  }
  const headers: Record<string, string> = {
    'RateLimit-Policy': policies.join(', '),
    RateLimit: states.join(', '),
  };
  if (retryAfterSec > 0) headers['Retry-After'] = String(retryAfterSec);
  return headers;
}

/** A structured-field string item; policy names are ours, so reject rather than escape. */
function quote(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = checkedQuote(name);
    quotedNames.set(name, quoted);
  }
  return quoted;
}
// A handful of policy names, each checked once.
const quotedNames = new Map<string, string>();

function checkedQuote(name: string): string {
  if (!/^[\x20-\x7e]+$/.test(name) || /["\\]/.test(name)) {
    throw new Error(
      'rate limit policy names must be printable ASCII without quotes or backslashes',
    );
  }
  return `"${name}"`;
}
