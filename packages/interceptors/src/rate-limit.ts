import { ConnectError } from '@connectrpc/connect';
import type { Interceptor } from '@connectrpc/connect';
import { clientKey, rateLimitHeaders } from '@kith/cache';
import type { NamedRateLimitResult, RateLimiter } from '@kith/cache';
import { clientAddressKey, principalKey } from '@kith/context';
import { ResourceExhaustedError, toConnectError } from '@kith/errors';
import type { AnyRequest, AnyResponse, Next } from './observe-call.js';
import { rpcName } from './observe-call.js';

/** Anything that counts points per key: the memory and Redis limiters of @kith/cache. */
export type Limiter = Pick<RateLimiter, 'consume'>;

/** One limit: a name for the `RateLimit` headers, a limiter, and how to key a request. */
export interface RateLimitPolicy {
  name: string;
  limiter: Limiter;
  /** The bucket for this request, or undefined when the policy does not apply to it. */
  keyOf(req: AnyRequest): string | undefined;
  /** Points this request costs. Default 1. */
  points?(req: AnyRequest): number;
}

/** The caller as a key: the user when authenticated, else the client address (IPv6 /64). */
export function callerKey(req: AnyRequest): string {
  const principal = req.contextValues.get(principalKey);
  return principal
    ? `user:${principal.userId}`
    : `ip:${clientKey(req.contextValues.get(clientAddressKey))}`;
}

/** Per client address; runs before authentication so floods never reach token checks. */
export function perClientPolicy(limiter: Limiter, name = 'ip'): RateLimitPolicy {
  return { name, limiter, keyOf: (req) => clientKey(req.contextValues.get(clientAddressKey)) };
}

/** Per authenticated user; anonymous calls are not counted here. */
export function perUserPolicy(limiter: Limiter, name = 'user'): RateLimitPolicy {
  return { name, limiter, keyOf: (req) => req.contextValues.get(principalKey)?.userId };
}

/** A limit for specific RPCs (`pkg.Service/Method`), keyed by caller, with optional cost. */
export function perRoutePolicy(
  name: string,
  limiter: Limiter,
  methods: readonly string[],
  points = 1,
): RateLimitPolicy {
  const set = new Set(methods);
  return {
    name,
    limiter,
    keyOf: (req) => (set.has(rpcName(req)) ? `${rpcName(req)}:${callerKey(req)}` : undefined),
    points: () => points,
  };
}

/**
 * Consumes every applicable policy; a denial answers ResourceExhausted with a RetryInfo detail.
 * `RateLimit` / `RateLimit-Policy` (and `Retry-After` on denial) are set either way.
 */
export function createRateLimitInterceptor({
  policies,
}: {
  policies: readonly RateLimitPolicy[];
}): Interceptor {
  return (next) => (req) => {
    let keyed: [RateLimitPolicy, string][] | undefined;
    for (const policy of policies) {
      const key = policy.keyOf(req);
      if (key !== undefined) (keyed ??= []).push([policy, key]);
    }
    // No policy applies (the per-user limit for a signed-out call): nothing to count or report.
    return keyed === undefined ? next(req) : limited(req, next, keyed);
  };
}

async function limited(
  req: AnyRequest,
  next: Next,
  keyed: readonly [RateLimitPolicy, string][],
): Promise<AnyResponse> {
  const results: NamedRateLimitResult[] = [];
  let retryAfterMs = -1;
  for (const [policy, key] of keyed) {
    const result = await policy.limiter.consume(key, policy.points?.(req) ?? 1);
    results.push({ policy: policy.name, result });
    if (!result.allowed) retryAfterMs = Math.max(retryAfterMs, result.retryAfterMs);
  }
  const headers = rateLimitHeaders(results);
  if (retryAfterMs >= 0) {
    const err = toConnectError(new ResourceExhaustedError({ retryAfterMs }));
    for (const name in headers) err.metadata.set(name, headers[name]!);
    throw err;
  }
  let res: AnyResponse;
  try {
    res = await next(req);
  } catch (err) {
    if (err instanceof ConnectError) appendAll(err.metadata, headers);
    throw err;
  }
  appendAll(res.header, headers);
  return res;
}

/** Append: an outer and an inner limiter (before and after authentication) both report. */
function appendAll(target: Headers, headers: Record<string, string>): void {
  for (const name in headers) target.append(name, headers[name]!);
}
