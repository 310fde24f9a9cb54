import { Code } from '@connectrpc/connect';
import { DomainError, InvalidArgumentError } from '@kith/errors';

/**
 * Why an OIDC login failed, safe to show a client. The provider's own answer (error bodies,
 * token claims) stays in `cause`, for the log only.
 */
export type OidcLoginFailure =
  /** The callback's state is not the one this login was started with. */
  | 'state_mismatch'
  /** The callback names another issuer (RFC 9207 `iss`) than the one the login was started at. */
  | 'issuer_mismatch'
  /** The provider refused the code (used, expired, for another client, wrong PKCE verifier). */
  | 'exchange_failed'
  /** The ID token failed verification (signature, alg, iss, aud, exp, nonce). */
  | 'invalid_id_token'
  /** The provider could not be reached, timed out or answered with a server error. */
  | 'provider_unavailable';

export class OidcLoginError extends DomainError {
  readonly code: Code;
  readonly reason: OidcLoginFailure;

  constructor(reason: OidcLoginFailure, options: { cause?: unknown } = {}) {
    super(`oidc login failed: ${reason}`, options);
    this.reason = reason;
    this.code = reason === 'provider_unavailable' ? Code.Unavailable : Code.Unauthenticated;
  }
}

/** The redirect URI asked for is not on the provider's allow-list (exact match). */
export class OidcRedirectNotAllowedError extends InvalidArgumentError {
  constructor() {
    super(
      [{ field: 'redirect_uri', message: 'not on the allow-list of this provider' }],
      'redirect URI not allowed',
    );
  }
}
