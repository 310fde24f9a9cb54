import type { ListMyReportsRequest } from '@kith/gen/kith/moderation/v1/moderation_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { ModerationApp } from '../app.js';
import { reportOf } from '../views.js';
import { myReportsPage } from './report-store.js';

/** ListMyReports: the caller's own reports with their outcome, newest first. */
export async function listMyReports(
  app: ModerationApp,
  caller: SignedInCaller,
  req: ListMyReportsRequest,
) {
  const userId = caller.principal.userId;
  const page = await myReportsPage(app.database.db, userId, {
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `moderation.ListMyReports:${userId}`,
  });
  return { reports: page.items.map(reportOf), nextPageToken: page.nextPageToken };
}
