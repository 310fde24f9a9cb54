import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { InvalidArgumentError } from '@kith/errors';
import type { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import type { AuthApp } from '../app.js';
import { listAuditEvents } from '../audit/list-audit-events.js';
import { staffCaller } from '@kith/runtime';
import { auditTypeFromProto, auditTypeToProto } from './audit-types.js';

/** Searches the append-only auth audit log, newest first. */
export function auditEventHandlers(
  app: AuthApp,
): Pick<ServiceImpl<typeof AuthAdminService>, 'listAuditEvents'> {
  return {
    async listAuditEvents(req, ctx) {
      const caller = staffCaller(app, ctx, 'admin');
      const types = req.types.map((t) => {
        const type = auditTypeFromProto(t);
        if (!type) throw new InvalidArgumentError([{ field: 'types', message: 'unknown type' }]);
        return type;
      });
      const page = await listAuditEvents(
        app,
        caller,
        {
          accountId: req.userId,
          types,
          ip: req.ipAddress,
          after: req.occurredAfter ? timestampDate(req.occurredAfter) : undefined,
          before: req.occurredBefore ? timestampDate(req.occurredBefore) : undefined,
        },
        { pageSize: req.pageSize, pageToken: req.pageToken },
      );
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
