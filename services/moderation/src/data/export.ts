import { toJson } from '@bufbuild/protobuf';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import {
  ActionNoticeSchema,
  AppealSchema,
  ReportSchema,
  StrikeSchema,
} from '@kith/gen/kith/moderation/v1/types_pb.js';
import { exportPartConsumer } from '@kith/runtime';
import type { BlobStorage, ConsumerSpec } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { ModerationApp } from '../app.js';
import type { ModerationDatabase } from '../db/schema.js';
import { actionNoticeOf, appealOf, reportOf, strikeOf } from '../views.js';
import { exportActions, exportAppeals, exportReports, exportStrikes } from './export-store.js';

/**
 * What moderation holds about the user, one JSON document per category, each item in protobuf
 * JSON form exactly as the user's own reads give it:
 *
 * - `reports`: the reports they filed (ListMyReports: subject, category, subcategory, their
 *   comment and attached posts, outcome and its message, times), never the snapshot taken of
 *   the content or anything about other reporters;
 * - `actions`: the actions against them as ActionNotice shows them (type, subject, statement of
 *   reasons, duration and expiry, strike, appeal deadline and appeal, reversal), never the
 *   staff note or who took it;
 * - `strikes`: their strikes, expired ones included (ListMyStrikes);
 * - `appeals`: their appeals (text, status, decision reason, times), never who decided.
 *
 * Staff-only data (internal notes, moderator ids, other reporters, snapshots, the event log,
 * queue state) is not the user's and is not exported. A user moderation does not know gives
 * empty categories.
 */
export async function moderationDataOf(
  db: Kysely<ModerationDatabase>,
  userId: string,
  now: Date,
): Promise<Record<string, unknown>> {
  // One after the other: a transaction is one session.
  const reports = await exportReports(db, userId);
  const actions = await exportActions(db, userId);
  const strikes = await exportStrikes(db, userId);
  const appeals = await exportAppeals(db, userId);
  const appealOfAction = new Map(appeals.map((a) => [a.action_id, a]));
  const actionById = new Map(actions.map((a) => [a.id, a]));
  return {
    reports: reports.map((r) => toJson(ReportSchema, reportOf(r))),
    actions: actions.map((a) =>
      toJson(ActionNoticeSchema, actionNoticeOf(a, appealOfAction.get(a.id), now)),
    ),
    strikes: strikes.flatMap((s) => {
      const action = actionById.get(s.action_id);
      return action
        ? [toJson(StrikeSchema, strikeOf(s, action, appealOfAction.get(s.action_id)))]
        : [];
    }),
    appeals: appeals.map((a) => toJson(AppealSchema, appealOf(a))),
  };
}

/** `user.export_requested`: moderation's part of the export (moderationDataOf). */
export function onExportRequested(
  app: ModerationApp,
  blobs: BlobStorage,
): ConsumerSpec<ModerationDatabase> {
  return exportPartConsumer<ModerationDatabase>({
    durable: 'moderation-export-part',
    service: KithService.MODERATION,
    blobs,
    clock: app.clock,
    emit: (trx, payload) => app.emit(trx, null, payload),
    dataOf: moderationDataOf,
    logger: app.logger,
  });
}
