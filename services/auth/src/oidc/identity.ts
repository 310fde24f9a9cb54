import type { IDToken, UserInfoResponse } from 'openid-client';

/** Who signed in, as the provider vouches for it; `issuer` + `subject` is the stable key. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  email?: string;
  /** False when there is no email or the provider does not say it verified it. */
  emailVerified: boolean;
  name?: string;
  preferredUsername?: string;
}

type Claims = Readonly<Record<string, unknown>>;

function text(claims: Claims | undefined, name: string): string | undefined {
  const value = claims?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

// Apple sends email_verified as the string "true"; everyone else as a boolean.
function verified(claims: Claims | undefined): boolean {
  const value = claims?.email_verified;
  return value === true || value === 'true';
}

/**
 * Maps verified ID token claims (and, for providers that keep profile claims out of the ID
 * token, the UserInfo answer for the same subject) to an identity. The email and its verified
 * flag always come from the same source.
 */
export function toIdentity(idToken: IDToken, userInfo?: UserInfoResponse): OidcIdentity {
  const emailSource = text(idToken, 'email') !== undefined ? idToken : userInfo;
  const email = text(emailSource, 'email');
  const identity: OidcIdentity = {
    issuer: idToken.iss,
    subject: idToken.sub,
    emailVerified: email !== undefined && verified(emailSource),
  };
  const name = text(idToken, 'name') ?? text(userInfo, 'name');
  const preferredUsername =
    text(idToken, 'preferred_username') ?? text(userInfo, 'preferred_username');
  if (email !== undefined) identity.email = email;
  if (name !== undefined) identity.name = name;
  if (preferredUsername !== undefined) identity.preferredUsername = preferredUsername;
  return identity;
}
