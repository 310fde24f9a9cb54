import crypto from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { TokenPairSchema } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { Revocation } from '@kith/authn';
import { UnauthenticatedError } from '@kith/errors';
import { restrictionOf } from '../accounts/lockout.js';
import type { AccountStanding } from '../accounts/lockout.js';
import { randomSecret, sha256Hex } from '../crypto/secrets.js';
import type { Account, AuthDatabase, AuthTrx } from '../db/schema.js';
import type { AccessTokenMinter } from '../tokens/access-token.js';
import { validAfterSeconds } from '../tokens/access-token.js';
import {
  deleteUnusedRefreshTokens,
  insertRefreshToken,
  insertSession,
  markSessionsRevoked,
  moveTokensValidAfter,
  recordLogin,
  restartSessionAuth,
} from './session-store.js';

export type TokenPairInit = MessageInitShape<typeof TokenPairSchema>;

/** The account a pair is minted for: its role, and its standing (restricted or not) at `now`. */
export type TokenHolder = Pick<Account, 'id' | 'role' | 'tokens_valid_after'> & AccountStanding;

/** Where a session was started from; shown in ListSessions. */
export interface Device {
  ip: string;
  userAgent: string;
  deviceLabel: string;
}

export interface SessionPolicy {
  refreshIdleTtlMs: number;
  refreshAbsoluteTtlMs: number;
}

export const REFRESH_TOKEN_PREFIX = 'kith_rt_';

/**
 * A device is "known" by its user agent: a new one (or a long gap) makes a password login
 * suspicious. Hashed so the index stays small; the raw agent is kept on the session for display.
 */
export function deviceHash(device: Device): string {
  return crypto.createHash('sha256').update(device.userAgent).digest('hex').slice(0, 32);
}

export type SessionRevokeReason =
  | 'logout'
  | 'logout_all'
  | 'revoked_by_user'
  | 'refresh_token_reuse'
  | 'password_changed'
  | 'password_reset'
  | 'email_changed'
  | 'account_disabled'
  | 'account_suspended'
  | 'account_banned'
  | 'account_erased'
  | 'mfa_reset';

export function createSessions(options: {
  minter: AccessTokenMinter;
  policy: SessionPolicy;
  /** Tells every verifier, once `trx` has committed (see AuthApp.revokeOnCommit). */
  revokeOnCommit(trx: AuthTrx, revocations: Revocation[]): void;
}) {
  const { minter, policy, revokeOnCommit } = options;

  async function issue(
    trx: Kysely<AuthDatabase>,
    account: TokenHolder,
    session: { id: string; created_at: Date; expires_at: Date; auth_time: Date },
    now: Date,
  ): Promise<TokenPairInit> {
    const refreshToken = randomSecret(REFRESH_TOKEN_PREFIX);
    await insertRefreshToken(trx, {
      id: uuidv7(),
      sessionId: session.id,
      tokenHash: sha256Hex(refreshToken),
      now,
    });
    const restricted = restrictionOf(account, now) !== null;
    const access = await minter.mint(
      {
        userId: account.id,
        sessionId: session.id,
        role: account.role,
        authTime: session.auth_time,
        validAfter: account.tokens_valid_after,
        restricted,
      },
      now,
    );
    const idleEnd = now.getTime() + policy.refreshIdleTtlMs;
    return {
      accessToken: access.token,
      accessTokenExpiresAt: timestampFromDate(access.expiresAt),
      refreshToken,
      refreshTokenExpiresAt: timestampFromDate(
        new Date(Math.min(idleEnd, session.expires_at.getTime())),
      ),
      tokenType: 'Bearer',
      sessionId: session.id,
      userId: account.id,
      restricted,
    };
  }

  return {
    issue,

    /**
     * The user just proved who they are on this session (password change, re-authentication):
     * `auth_time = now`, and a new pair. The session's refresh tokens still in circulation are
     * dropped, so only the pair returned here continues it. Unauthenticated when the session is
     * gone.
     */
    async restartAuth(
      trx: Kysely<AuthDatabase>,
      account: TokenHolder,
      sessionId: string,
      now: Date,
      seenFrom?: { ip: string; userAgent: string },
    ): Promise<TokenPairInit> {
      const session = await restartSessionAuth(trx, {
        accountId: account.id,
        sessionId,
        now,
        seenFrom,
      });
      if (!session) throw new UnauthenticatedError();
      await deleteUnusedRefreshTokens(trx, session.id);
      return issue(trx, account, session, now);
    },

    /** A new session (a new refresh-token family) for a fully authenticated user. */
    async start(
      trx: Kysely<AuthDatabase>,
      account: TokenHolder,
      device: Device,
      now: Date,
    ): Promise<TokenPairInit> {
      const session = {
        id: uuidv7(),
        account_id: account.id,
        created_at: now,
        last_used_at: now,
        expires_at: new Date(now.getTime() + policy.refreshAbsoluteTtlMs),
        auth_time: now,
        ip: device.ip,
        user_agent: device.userAgent,
        device_label: device.deviceLabel,
        device_hash: deviceHash(device),
        revoked_at: null,
        revoked_reason: null,
      };
      await insertSession(trx, session);
      await recordLogin(trx, account.id, now);
      return issue(trx, account, session, now);
    },

    /**
     * Marks sessions revoked and, once the transaction commits, tells every verifier; returns
     * the ids of the sessions it ended.
     */
    async revoke(
      trx: AuthTrx,
      filter: { accountId: string; sessionIds?: string[]; exceptSessionId?: string },
      reason: SessionRevokeReason,
      now: Date,
    ): Promise<string[]> {
      const sessionIds = await markSessionsRevoked(trx, filter, reason, now);
      revokeOnCommit(
        trx,
        sessionIds.map((sessionId) => ({ kind: 'session', sessionId })),
      );
      return sessionIds;
    },

    /**
     * Kills every access token the account holds now (logout-all, password change, disable):
     * tokens_valid_after moves to now, and every verifier learns it once `trx` commits.
     */
    async invalidateAccessTokens(trx: AuthTrx, accountId: string, now: Date): Promise<void> {
      await moveTokensValidAfter(trx, accountId, now);
      revokeOnCommit(trx, [
        { kind: 'user', userId: accountId, validAfter: validAfterSeconds(now) },
      ]);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
