import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { dropPendingEmailChange } from '../accounts/pending-email.js';
import { revokeAllKeys } from '../api-keys/api-key-store.js';
import { forgetDevices } from '../devices/known-devices.js';
import type { AuthApp } from '../app.js';
import { revocationReason } from '../security-events.js';
import type { AuthTrx } from '../db/schema.js';
import type { SessionRevokeReason } from './sessions.js';

/**
 * After a credential change, a disabling, a moderation suspension or ban, or a staff MFA reset:
 * every access token the account holds dies (tokens_valid_after → now), a pending e-mail change
 * is dropped with its links, and, when asked, every session but `keepSessionId` ends (and no
 * device stays known) and every API key is revoked, with the events the gateway, the other
 * services and the revocation backstop act on; verifiers learn it all once the transaction
 * commits. Which events revoke API keys: ADR 0009.
 */
export async function cutAccess(
  app: AuthApp,
  trx: AuthTrx,
  input: {
    accountId: string;
    reason: Extract<
      SessionRevokeReason,
      | 'password_changed'
      | 'password_reset'
      | 'email_changed'
      | 'account_disabled'
      | 'account_suspended'
      | 'account_banned'
      | 'mfa_reset'
    >;
    revokeSessions: boolean;
    revokeApiKeys: boolean;
    /**
     * Staff acting on the account; null for auth itself (applying another service's decision);
     * the account itself when omitted.
     */
    actorId?: string | null;
    keepSessionId?: string;
    now: Date;
  },
): Promise<{ revokedSessions: number; revokedApiKeys: number }> {
  const { accountId, reason, now } = input;
  const actorId = input.actorId === undefined ? accountId : input.actorId;
  let revokedSessions = 0;
  await dropPendingEmailChange(trx, accountId, now);
  if (input.revokeSessions) {
    await forgetDevices(trx, accountId);
    const sessionIds = await app.sessions.revoke(
      trx,
      { accountId, exceptSessionId: input.keepSessionId },
      reason,
      now,
    );
    for (const sessionId of sessionIds) {
      await app.emit(trx, actorId, {
        case: 'authSessionRevoked',
        value: { userId: accountId, sessionId, reason: revocationReason(reason) },
      });
    }
    revokedSessions = sessionIds.length;
  }
  await invalidateAccessTokens(app, trx, { accountId, reason, actorId, now });
  const keys = input.revokeApiKeys ? await revokeAllKeys(trx, accountId, now) : [];
  for (const key of keys) {
    // The same event RevokeApiKey records: the backstop replays it if the publish is lost.
    await app.emit(trx, actorId, {
      case: 'authApiKeyRevoked',
      value: { userId: accountId, apiKeyId: key.id, keyHash: key.keyHash },
    });
  }
  app.revokeOnCommit(
    trx,
    keys.map((key) => ({ kind: 'api_key', keyHash: key.keyHash })),
  );
  return { revokedSessions, revokedApiKeys: keys.length };
}

/**
 * Every access token the account holds dies now (tokens_valid_after), and the gateway and the
 * other services learn it with the reason (auth.tokens_invalidated). Sessions carry on: their
 * next refresh mints tokens as the account now stands.
 */
export async function invalidateAccessTokens(
  app: AuthApp,
  trx: AuthTrx,
  input: {
    accountId: string;
    reason: Parameters<typeof revocationReason>[0];
    /** Who acted; null for auth itself. */
    actorId: string | null;
    now: Date;
  },
): Promise<void> {
  const { accountId, now } = input;
  await app.sessions.invalidateAccessTokens(trx, accountId, now);
  await app.emit(trx, input.actorId, {
    case: 'authTokensInvalidated',
    value: {
      userId: accountId,
      validAfter: timestampFromDate(now),
      reason: revocationReason(input.reason),
    },
  });
}
