// The console's audit log (every event, newest first) and queue health figures.
import { durationFromMs, timestampDate } from '@bufbuild/protobuf/wkt';
import type {
  GetStatsRequest,
  ListAuditLogRequest,
} from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { ModerationApp } from '../app.js';
import { auditPage } from '../subjects/subject-store.js';
import { eventOf } from '../views.js';
import { statsFigures } from './stats-store.js';

export async function listAuditLog(app: ModerationApp, req: ListAuditLogRequest) {
  const filter = {
    actorUserId: req.actorUserId || undefined,
    actorRuleId: req.actorRuleId || undefined,
    after: req.createdAfter ? timestampDate(req.createdAfter) : undefined,
    before: req.createdBefore ? timestampDate(req.createdBefore) : undefined,
  };
  const page = await auditPage(app.database.db, filter, {
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `moderation.ListAuditLog:${JSON.stringify(filter)}`,
  });
  return { events: page.items.map(eventOf), nextPageToken: page.nextPageToken };
}

export async function getStats(app: ModerationApp, caller: SignedInCaller, req: GetStatsRequest) {
  const f = await statsFigures(
    app.database.db,
    caller.now,
    timestampDate(req.since!),
    timestampDate(req.until!),
  );
  return {
    pendingSubjects: f.pending,
    pendingSosRelated: f.pendingSos,
    reportsReceived: f.reportsReceived,
    subjectsClosed: f.closed,
    actionRate: f.closed ? f.actioned / f.closed : 0,
    medianHandlingTime: durationFromMs(Math.round(f.medianSeconds * 1000)),
    p90HandlingTime: durationFromMs(Math.round(f.p90Seconds * 1000)),
    oldestPendingAge: durationFromMs(Math.max(0, f.oldestPendingMs)),
    appealsPending: f.appealsPending,
    appealOverturnRate: f.appealsDecided ? f.appealsOverturned / f.appealsDecided : 0,
  };
}
