import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { AuthApp } from '../app.js';
import { callerOf, signedInCaller } from '@kith/runtime';
import { logout, logoutAll, revokeSession } from './end-sessions.js';
import { listSessions } from './list-sessions.js';
import { refreshSession } from './refresh-session.js';

/** Refresh, Logout, LogoutAll, ListSessions, RevokeSession. */
export function sessionHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthService>> {
  return {
    async refresh(req, ctx) {
      const caller = callerOf(app, ctx);
      return { tokens: await refreshSession(app, caller, { refreshToken: req.refreshToken }) };
    },

    async logout(_req, ctx) {
      const caller = signedInCaller(app, ctx);
      await logout(app, caller);
      return {};
    },

    async logoutAll(req, ctx) {
      const caller = signedInCaller(app, ctx);
      const revokedSessions = await logoutAll(app, caller, {
        keepCurrentSession: req.keepCurrentSession,
      });
      return { revokedSessions };
    },

    async listSessions(req, ctx) {
      const caller = signedInCaller(app, ctx);
      const page = await listSessions(app, caller, {
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
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
          current: s.id === caller.principal.sessionId,
        })),
        nextPageToken: page.nextPageToken,
      };
    },

    async revokeSession(req, ctx) {
      const caller = signedInCaller(app, ctx);
      await revokeSession(app, caller, { sessionId: req.sessionId });
      return {};
    },
  };
}
