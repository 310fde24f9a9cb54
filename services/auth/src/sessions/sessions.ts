import crypto from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { TokenPairSchema } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { Revocation } from '@kith/authn';
import { UnauthenticatedError } from '@kith/errors';
import { randomSecret, sha256Hex } from '../crypto/secrets.js';
import type { Account, AuthDatabase, AuthTrx } from '../db/schema.js';
import type { AccessTokenMinter } from '../tokens/access-token.js';
import { validAfterSeconds } from '../tokens/access-token.js';

export type TokenPairInit = MessageInitShape<typeof TokenPairSchema>;

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
    account: Pick<Account, 'id' | 'role' | 'tokens_valid_after'>,
    session: { id: string; created_at: Date; expires_at: Date; auth_time: Date },
    now: Date,
  ): Promise<TokenPairInit> {
    const refreshToken = randomSecret(REFRESH_TOKEN_PREFIX);
    await trx
      .insertInto('refresh_tokens')
      .values({
        id: uuidv7(),
        session_id: session.id,
        token_hash: sha256Hex(refreshToken),
        created_at: now,
        used_at: null,
      })
      .execute();
    const access = await minter.mint(
      {
        userId: account.id,
        sessionId: session.id,
        role: account.role,
        authTime: session.auth_time,
        validAfter: account.tokens_valid_after,
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
      account: Pick<Account, 'id' | 'role' | 'tokens_valid_after'>,
      sessionId: string,
      now: Date,
      seenFrom?: { ip: string; userAgent: string },
    ): Promise<TokenPairInit> {
      const session = await trx
        .updateTable('sessions')
        .set({
          auth_time: now,
          last_used_at: now,
          ...(seenFrom ? { ip: seenFrom.ip, user_agent: seenFrom.userAgent } : {}),
        })
        .where('id', '=', sessionId)
        .where('account_id', '=', account.id)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (!session) throw new UnauthenticatedError();
      await trx
        .deleteFrom('refresh_tokens')
        .where('session_id', '=', session.id)
        .where('used_at', 'is', null)
        .execute();
      return issue(trx, account, session, now);
    },

    /** A new session (a new refresh-token family) for a fully authenticated user. */
    async start(
      trx: Kysely<AuthDatabase>,
      account: Pick<Account, 'id' | 'role' | 'tokens_valid_after'>,
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
      await trx.insertInto('sessions').values(session).execute();
      await trx
        .updateTable('accounts')
        .set({ last_login_at: now })
        .where('id', '=', account.id)
        .execute();
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
      let query = trx
        .updateTable('sessions')
        .set({ revoked_at: now, revoked_reason: reason })
        .where('account_id', '=', filter.accountId)
        .where('revoked_at', 'is', null);
      if (filter.sessionIds) query = query.where('id', 'in', filter.sessionIds);
      if (filter.exceptSessionId) query = query.where('id', '!=', filter.exceptSessionId);
      const rows = filter.sessionIds?.length === 0 ? [] : await query.returning('id').execute();
      const sessionIds = rows.map((r) => r.id);
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
      await trx
        .updateTable('accounts')
        .set({ tokens_valid_after: now, updated_at: now })
        .where('id', '=', accountId)
        .execute();
      revokeOnCommit(trx, [
        { kind: 'user', userId: accountId, validAfter: validAfterSeconds(now) },
      ]);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
