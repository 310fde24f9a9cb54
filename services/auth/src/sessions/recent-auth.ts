import type { Principal } from '@kith/context';
import { FailedPreconditionError, UnauthenticatedError } from '@kith/errors';
import type { Kysely } from 'kysely';
import type { AuthDatabase, Session } from '../db/schema.js';
import { findUnrevokedSession } from './session-store.js';

/**
 * Sensitive changes (password, e-mail, MFA, API keys, deletion) need the user to have proved
 * who they are within the re-auth window on THIS session: read from the session row, not from
 * the token, so a stolen access token alone never qualifies. Answers FailedPrecondition with a
 * message telling the client to call Reauthenticate.
 */
export async function requireRecentAuth(
  trx: Kysely<AuthDatabase>,
  principal: Principal,
  now: Date,
  windowMs: number,
): Promise<Session> {
  if (!principal.sessionId) throw new UnauthenticatedError();
  const session = await findUnrevokedSession(trx, principal.userId, principal.sessionId);
  if (!session) throw new UnauthenticatedError();
  if (now.getTime() - session.auth_time.getTime() > windowMs) {
    throw new FailedPreconditionError('reauthentication required: call Reauthenticate first');
  }
  return session;
}
