import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { UnauthenticatedError, NotFoundError } from '@kith/errors';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { requirePrincipal } from '@kith/interceptors';
import type { Revocation } from '@kith/authn';
import type { AuthApp } from '../app.js';
import { dropPendingEmailChange } from '../accounts/pending-email.js';
import { forgetDevices } from '../devices/known-devices.js';
import { newestFirstPage } from '../db/paging.js';
import { recordAudit } from '../audit/audit-log.js';
import { sha256Hex } from '../crypto/secrets.js';
import { requestMeta } from '../request-meta.js';
import { publishUserActive, revocationReason } from '../security-events.js';
import type { TokenPairInit } from './sessions.js';

/**
 * A refresh token presented again within this window of its rotation is a client racing itself
 * (two tabs, a retried request): it gets no tokens but does not burn the family. Later reuse is
 * treated as theft (RFC 9700 §4.14.2) and revokes the whole session.
 */
const REUSE_GRACE_MS = 10_000;

type Outcome = { ok: true; tokens: TokenPairInit } | { ok: false; revocations: Revocation[] };

export function sessionHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  const { database, sessions, clock } = app;

  return {
    async refresh(req, ctx) {
      const meta = requestMeta(ctx);
      const now = clock();
      const outcome = await database.transaction(async (trx): Promise<Outcome> => {
        const token = await trx
          .selectFrom('refresh_tokens')
          .selectAll()
          .where('token_hash', '=', sha256Hex(req.refreshToken))
          .forUpdate()
          .executeTakeFirst();
        if (!token) return { ok: false, revocations: [] };
        const session = await trx
          .selectFrom('sessions')
          .selectAll()
          .where('id', '=', token.session_id)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const account = await trx
          .selectFrom('accounts')
          .selectAll()
          .where('id', '=', session.account_id)
          .executeTakeFirstOrThrow();
        if (token.used_at !== null) {
          if (now.getTime() - token.used_at.getTime() <= REUSE_GRACE_MS || session.revoked_at) {
            return { ok: false, revocations: [] };
          }
          const revoked = await sessions.revoke(
            trx,
            { accountId: account.id, sessionIds: [session.id] },
            'refresh_token_reuse',
            now,
          );
          await recordAudit(trx, {
            type: 'refresh_token_reused',
            accountId: account.id,
            sessionId: session.id,
            meta,
            at: now,
          });
          await app.emit(trx, null, {
            case: 'authSessionRevoked',
            value: {
              userId: account.id,
              sessionId: session.id,
              reason: revocationReason('refresh_token_reuse'),
            },
          });
          return { ok: false, revocations: revoked.revocations };
        }
        const idleDeadline = session.last_used_at.getTime() + app.config.refreshIdleTtlMs;
        if (
          session.revoked_at !== null ||
          session.expires_at <= now ||
          idleDeadline <= now.getTime() ||
          account.disabled_at !== null
        ) {
          return { ok: false, revocations: [] };
        }
        await trx
          .updateTable('refresh_tokens')
          .set({ used_at: now })
          .where('id', '=', token.id)
          .execute();
        await trx
          .updateTable('sessions')
          .set({ last_used_at: now, ip: meta.ip, user_agent: meta.userAgent })
          .where('id', '=', session.id)
          .execute();
        const tokens = await sessions.issue(trx, account, session, now);
        await recordAudit(trx, {
          type: 'token_refreshed',
          accountId: account.id,
          sessionId: session.id,
          meta,
          at: now,
        });
        // `session` was read before the update: last_used_at is the previous use.
        await publishUserActive(app, trx, session, now);
        return { ok: true, tokens };
      });
      if (!outcome.ok) {
        await app.publishRevocations(outcome.revocations);
        throw new UnauthenticatedError('invalid refresh token');
      }
      return { tokens: outcome.tokens };
    },

    async logout(_req, ctx) {
      const principal = requirePrincipal(ctx);
      if (!principal.sessionId) throw new UnauthenticatedError();
      const now = clock();
      const meta = requestMeta(ctx);
      const revocations = await database.transaction(async (trx) => {
        const revoked = await sessions.revoke(
          trx,
          { accountId: principal.userId, sessionIds: [principal.sessionId!] },
          'logout',
          now,
        );
        await recordAudit(trx, {
          type: 'logout',
          accountId: principal.userId,
          sessionId: principal.sessionId,
          meta,
          at: now,
        });
        for (const sessionId of revoked.sessionIds) {
          await app.emit(trx, principal.userId, {
            case: 'authSessionRevoked',
            value: { userId: principal.userId, sessionId, reason: revocationReason('logout') },
          });
        }
        return revoked.revocations;
      });
      await app.publishRevocations(revocations);
      return {};
    },

    async logoutAll(req, ctx) {
      const principal = requirePrincipal(ctx);
      const now = clock();
      const meta = requestMeta(ctx);
      const keep = req.keepCurrentSession ? principal.sessionId : undefined;
      const { count, revocations } = await database.transaction(async (trx) => {
        const revoked = await sessions.revoke(
          trx,
          { accountId: principal.userId, exceptSessionId: keep },
          'logout_all',
          now,
        );
        const revocations = [...revoked.revocations];
        // "Sign out everywhere" is how an owner evicts an intruder: an e-mail change the intruder
        // started must not complete afterwards. API keys stay (ADR 0009).
        await dropPendingEmailChange(trx, principal.userId, now);
        // Nor may a device the intruder signed in from stay known (no new-device code for it).
        await forgetDevices(trx, principal.userId);
        if (!keep) {
          // Also every access token not tied to a session row we just revoked.
          revocations.push(await sessions.invalidateAccessTokens(trx, principal.userId, now));
          await app.emit(trx, principal.userId, {
            case: 'authTokensInvalidated',
            value: {
              userId: principal.userId,
              validAfter: timestampFromDate(now),
              reason: revocationReason('logout_all'),
            },
          });
        }
        for (const sessionId of revoked.sessionIds) {
          await app.emit(trx, principal.userId, {
            case: 'authSessionRevoked',
            value: { userId: principal.userId, sessionId, reason: revocationReason('logout_all') },
          });
        }
        await recordAudit(trx, {
          type: 'logout_all',
          accountId: principal.userId,
          sessionId: principal.sessionId ?? null,
          meta,
          details: { revoked_sessions: String(revoked.sessionIds.length) },
          at: now,
        });
        return { count: revoked.sessionIds.length, revocations };
      });
      await app.publishRevocations(revocations);
      return { revokedSessions: count };
    },

    async listSessions(req, ctx) {
      const principal = requirePrincipal(ctx);
      const now = clock();
      const binding = `auth.ListSessions|${principal.userId}`;
      const query = database.db
        .selectFrom('sessions')
        .selectAll()
        .where('account_id', '=', principal.userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .where('last_used_at', '>', new Date(now.getTime() - app.config.refreshIdleTtlMs));
      const page = await newestFirstPage(app, query, req, binding);
      return {
        sessions: page.items.map((s) => ({
          sessionId: s.id,
          createdAt: timestampFromDate(s.created_at),
          lastUsedAt: timestampFromDate(s.last_used_at),
          expiresAt: timestampFromDate(s.expires_at),
          ipAddress: s.ip,
          userAgent: s.user_agent,
          deviceLabel: s.device_label,
          approximateLocation: '',
          current: s.id === principal.sessionId,
        })),
        nextPageToken: page.nextPageToken,
      };
    },

    async revokeSession(req, ctx) {
      const principal = requirePrincipal(ctx);
      const now = clock();
      const meta = requestMeta(ctx);
      const revocations = await database.transaction(async (trx) => {
        const revoked = await sessions.revoke(
          trx,
          { accountId: principal.userId, sessionIds: [req.sessionId] },
          'revoked_by_user',
          now,
        );
        if (revoked.sessionIds.length === 0) {
          // Someone else's session, or one already gone: indistinguishable on purpose.
          const own = await trx
            .selectFrom('sessions')
            .select('id')
            .where('id', '=', req.sessionId)
            .where('account_id', '=', principal.userId)
            .executeTakeFirst();
          if (!own) throw new NotFoundError('session not found');
          return [];
        }
        await recordAudit(trx, {
          type: 'session_revoked',
          accountId: principal.userId,
          sessionId: req.sessionId,
          meta,
          at: now,
        });
        await app.emit(trx, principal.userId, {
          case: 'authSessionRevoked',
          value: {
            userId: principal.userId,
            sessionId: req.sessionId,
            reason: revocationReason('revoked_by_user'),
          },
        });
        return revoked.revocations;
      });
      await app.publishRevocations(revocations);
      return {};
    },
  };
}
