import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { fetchPage } from '@kith/db';
import { InvalidArgumentError } from '@kith/errors';
import type { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { requireRole } from '@kith/interceptors';
import type { AuthApp } from '../app.js';
import { recordStaffAccess } from './staff-access.js';
import { auditTypeFromProto, auditTypeToProto } from './audit-types.js';

/** Searches the append-only auth audit log, newest first. */
export function auditEventHandlers(
  app: AuthApp,
): Pick<ServiceImpl<typeof AuthAdminService>, 'listAuditEvents'> {
  return {
    async listAuditEvents(req, ctx) {
      const actor = requireRole(ctx, 'admin');
      const types = req.types.map((t) => {
        const type = auditTypeFromProto(t);
        if (!type) throw new InvalidArgumentError([{ field: 'types', message: 'unknown type' }]);
        return type;
      });
      const after = req.occurredAfter ? timestampDate(req.occurredAfter) : undefined;
      const before = req.occurredBefore ? timestampDate(req.occurredBefore) : undefined;
      const ip = req.ipAddress.toLowerCase();
      // A page token replays only the query (filters and caller) that issued it.
      const filters = JSON.stringify([req.userId, types, ip, after?.getTime(), before?.getTime()]);
      const binding = `auth.ListAuditEvents|${actor.userId}|${filters}`;
      await recordStaffAccess(app, ctx, actor.userId, { method: 'ListAuditEvents', filters });
      let query = app.database.db.selectFrom('audit_events').selectAll();
      if (req.userId) query = query.where('account_id', '=', req.userId);
      if (types.length > 0) query = query.where('type', 'in', types);
      if (ip) query = query.where('ip', '=', ip);
      if (after) query = query.where('occurred_at', '>=', after);
      if (before) query = query.where('occurred_at', '<', before);
      const page = await fetchPage(query, {
        columns: [
          { ref: 'occurred_at', direction: 'desc' },
          { ref: 'id', direction: 'desc' },
        ],
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        codec: app.pageTokens,
        binding,
        keysOf: (r) => [r.occurred_at],
        idOf: (r) => r.id,
      });
      return {
        auditEvents: page.items.map((e) => ({
          auditEventId: e.id,
          type: auditTypeToProto(e.type),
          userId: e.account_id ?? '',
          actorUserId: e.actor_id ?? '',
          sessionId: e.session_id ?? '',
          ipAddress: e.ip,
          userAgent: e.user_agent,
          occurredAt: timestampFromDate(e.occurred_at),
          details: Object.fromEntries(
            Object.entries(e.details ?? {}).map(([k, v]) => [
              k,
              typeof v === 'string' ? v : JSON.stringify(v),
            ]),
          ),
        })),
        nextPageToken: page.nextPageToken,
      };
    },
  };
}
