import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { SignedInCaller } from '@kith/runtime';
import { requireCircle } from '../access.js';
import type { CircleApp } from '../app.js';
import { summariesOf } from '../users/user-store.js';
import { auditPage } from './audit-store.js';

/** ListCircleAuditLog (OWNER or ADMIN): the circle's audit log, newest first. */
export async function listCircleAuditLog(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; actions: number[]; userId: string; pageSize: number; pageToken: string },
) {
  const db = app.database.db;
  await requireCircle(db, caller.principal.userId, req.circleId, 'readAuditLog');
  const page = await auditPage(db, { ...req, codec: app.pageTokens });
  const people = await summariesOf(
    db,
    page.items.flatMap((e) => [e.actor_id, e.target_id].filter((id): id is string => !!id)),
  );
  return {
    entries: page.items.map((e) => {
      const d = e.details;
      return {
        auditEntryId: e.id,
        circleId: e.circle_id,
        action: e.action,
        actor: e.actor_id ? people.get(e.actor_id) : undefined,
        target: e.target_id ? people.get(e.target_id) : undefined,
        oldRole: d.oldRole ?? 0,
        newRole: d.newRole ?? 0,
        reason: d.reason ?? '',
        banExpiresAt: d.banExpiresAt ? timestampFromDate(new Date(d.banExpiresAt)) : undefined,
        joinedVia: d.joinedVia ?? 0,
        changedFields: d.changedFields ? { paths: d.changedFields } : undefined,
        rulesVersion: d.rulesVersion ?? 0,
        postId: d.postId ?? '',
        hideReason: d.hideReason ?? 0,
        inviteId: d.inviteId ?? '',
        inviteLinkId: d.inviteLinkId ?? '',
        joinRequestId: d.joinRequestId ?? '',
        createdAt: timestampFromDate(e.created_at),
      };
    }),
    nextPageToken: page.nextPageToken,
  };
}
