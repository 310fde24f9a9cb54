import type { CustomFetch } from 'openid-client';
import { OidcLoginError } from './errors.js';
import type { OidcLoginFailure } from './errors.js';

/**
 * What the HTTP layer saw during one step. openid-client reports a refused code, a bad ID token
 * and a dead server through overlapping error types, so the reason is decided from what
 * actually happened on the wire instead.
 */
export interface WireTrace {
  /** A request never got an answer: connection refused, reset, DNS, timeout. */
  unreachable: boolean;
  /** Some answer was a 5xx. */
  serverError: boolean;
  /** Status of the token endpoint's answer, once it answered. */
  tokenStatus: number | undefined;
}

export function newWireTrace(): WireTrace {
  return { unreachable: false, serverError: false, tokenStatus: undefined };
}

/** global fetch, recording into `trace`. */
export function tracingFetch(trace: WireTrace, tokenEndpoint: string | undefined): CustomFetch {
  const token = tokenEndpoint === undefined ? undefined : new URL(tokenEndpoint).href;
  return async (url, options) => {
    let response: Response;
    try {
      response = await fetch(url, options);
    } catch (error) {
      trace.unreachable = true;
      throw error;
    }
    if (response.status >= 500) trace.serverError = true;
    if (options.method === 'POST' && new URL(url).href === token) {
      trace.tokenStatus = response.status;
    }
    return response;
  };
}

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT';
}

/**
 * The reason for a failed code exchange: no answer or a 5xx is the provider being down; a
 * non-200 token answer is a refused code; anything wrong after a 200 is the ID token.
 */
export function exchangeFailure(cause: unknown, trace: WireTrace): OidcLoginError {
  let reason: OidcLoginFailure;
  if (trace.unreachable || trace.serverError || isTimeout(cause)) reason = 'provider_unavailable';
  // No token request was made: the provider's metadata is unusable (e.g. no token endpoint).
  else if (trace.tokenStatus === undefined) reason = 'provider_unavailable';
  else if (trace.tokenStatus !== 200) reason = 'exchange_failed';
  else reason = 'invalid_id_token';
  return new OidcLoginError(reason, { cause });
}

/** The reason for a failed UserInfo call made after a successful exchange. */
export function userInfoFailure(cause: unknown, trace: WireTrace): OidcLoginError {
  const down = trace.unreachable || trace.serverError || isTimeout(cause);
  return new OidcLoginError(down ? 'provider_unavailable' : 'exchange_failed', { cause });
}
