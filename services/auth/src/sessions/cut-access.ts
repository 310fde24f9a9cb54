import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Revocation } from '@kith/authn';
import type { Kysely } from 'kysely';
import type { AuthApp } from '../app.js';
import type { AuthDatabase } from '../db/schema.js';
import type { SessionRevokeReason } from './sessions.js';

/**
 * After a credential change or a disabling: every access token the account holds dies
 * (tokens_valid_after → now) and, when `revokeSessions`, every session but `keepSessionId`
 * ends, with the events the gateway and the other services act on. Returns what to publish once
 * the transaction commits.
 */
export async function cutAccess(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  input: {
    accountId: string;
    reason: Extract<
      SessionRevokeReason,
      'password_changed' | 'password_reset' | 'email_changed' | 'account_disabled'
    >;
    revokeSessions: boolean;
    /** Staff acting on the account; the account itself otherwise. */
    actorId?: string;
    keepSessionId?: string;
    now: Date;
  },
): Promise<{ revocations: Revocation[]; revokedSessions: number }> {
  const { accountId, reason, now } = input;
  const actorId = input.actorId ?? accountId;
  const revocations: Revocation[] = [];
  let revokedSessions = 0;
  if (input.revokeSessions) {
    const revoked = await app.sessions.revoke(
      trx,
      { accountId, exceptSessionId: input.keepSessionId },
      reason,
      now,
    );
    for (const sessionId of revoked.sessionIds) {
      await app.emit(trx, actorId, {
        case: 'authSessionRevoked',
        value: { userId: accountId, sessionId, reason },
      });
    }
    revocations.push(...revoked.revocations);
    revokedSessions = revoked.sessionIds.length;
  }
  revocations.push(await app.sessions.invalidateAccessTokens(trx, accountId, now));
  await app.emit(trx, actorId, {
    case: 'authTokensInvalidated',
    value: { userId: accountId, validAfter: timestampFromDate(now), reason },
  });
  return { revocations, revokedSessions };
}
