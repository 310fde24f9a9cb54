// The console's reads: the queue, one subject with its log, and the content snapshots (each
// read of content is itself logged).
import { create, fromBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type {
  GetSubjectContentRequest,
  GetSubjectRequest,
  ListQueueRequest,
} from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import {
  ContentSnapshotSchema,
  SnapshotRefSchema,
} from '@kith/gen/kith/moderation/v1/snapshot_pb.js';
import type { ContentSnapshot } from '@kith/gen/kith/moderation/v1/snapshot_pb.js';
import { SubjectStatus } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { NotFoundError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { ModerationApp } from '../app.js';
import { activeActionsOn, activeStrikeCount, appealsOfActions } from '../actions/action-store.js';
import { evidenceUrls, snapshotMedia } from '../evidence/evidence.js';
import { snapshotsOf } from '../reports/report-store.js';
import { changeSubject } from '../subjects/change.js';
import { refOf, refKey } from '../subjects/subject-ref.js';
import { findSubject, queuePage, subjectEventsPage } from '../subjects/subject-store.js';
import { actionOf, eventOf, queueItemOf } from '../views.js';

const DEFAULT_STATUSES = [SubjectStatus.OPEN, SubjectStatus.ESCALATED];

export async function listQueue(app: ModerationApp, req: ListQueueRequest) {
  const statuses = req.statuses.length ? req.statuses : DEFAULT_STATUSES;
  const filter = {
    statuses,
    kinds: req.kinds,
    categories: req.categories,
    minPriority: req.minPriority,
    sosRelatedOnly: req.sosRelatedOnly,
    assigneeId: req.assigneeId || undefined,
    unassignedOnly: req.unassignedOnly,
    tags: req.tags,
    excludeTags: req.excludeTags,
  };
  const page = await queuePage(app.database.db, filter, {
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `moderation.ListQueue:${JSON.stringify(filter)}`,
  });
  return { items: page.items.map(queueItemOf), nextPageToken: page.nextPageToken };
}

export async function getSubject(
  app: ModerationApp,
  caller: SignedInCaller,
  req: GetSubjectRequest,
) {
  const db = app.database.db;
  const ref = refOf(req.subject);
  const row = await findSubject(db, ref);
  if (!row) throw new NotFoundError('subject not found');
  const [actions, page] = await Promise.all([
    activeActionsOn(db, ref),
    subjectEventsPage(db, ref, {
      pageSize: req.pageSize,
      pageToken: req.pageToken,
      codec: app.pageTokens,
      binding: `moderation.GetSubject:${refKey(ref)}`,
    }),
  ]);
  const appeals = await appealsOfActions(
    db,
    actions.map((a) => a.id),
  );
  return {
    summary: queueItemOf(row),
    activeActions: actions.map((a) => actionOf(a, appeals.get(a.id))),
    activeStrikeCount: row.author_id ? await activeStrikeCount(db, row.author_id, caller.now) : 0,
    events: page.items.map(eventOf),
    nextPageToken: page.nextPageToken,
  };
}

/** At most this many snapshots are listed with the content. */
const SNAPSHOTS_LISTED = 100;

export async function getSubjectContent(
  app: ModerationApp,
  caller: SignedInCaller,
  req: GetSubjectContentRequest,
) {
  const ref = refOf(req.subject);
  const rows = await snapshotsOf(app.database.db, ref, SNAPSHOTS_LISTED);
  const chosen = req.snapshotId ? rows.find((r) => r.id === req.snapshotId) : rows[0];
  if (!chosen) throw new NotFoundError('snapshot not found');
  const snapshot: ContentSnapshot = fromBinary(ContentSnapshotSchema, chosen.body);
  // Every read of reported content is on the record.
  await changeSubject(app, ref, caller.now, () => ({
    drafts: [
      {
        actor: { userId: caller.principal.userId },
        kind: { case: 'contentViewed', value: { snapshotId: chosen.id } },
      },
    ],
  }));
  const snapshots = rows.map((r) => {
    const s = fromBinary(ContentSnapshotSchema, r.body);
    return create(SnapshotRefSchema, {
      snapshotId: r.id,
      capturedAt: timestampFromDate(r.captured_at),
      contentVersion: BigInt(r.content_version),
      cause:
        s.cause.case === 'reportId'
          ? { case: 'reportId', value: s.cause.value }
          : s.cause.case === 'ruleId'
            ? { case: 'ruleId', value: s.cause.value }
            : s.cause.case === 'actionId'
              ? { case: 'actionId', value: s.cause.value }
              : { case: undefined },
    });
  });
  // Held media comes with a fresh short-lived link (SnapshotMedia.url).
  const urls = await evidenceUrls(app, chosen.id);
  for (const media of snapshotMedia(snapshot.content)) media.url = urls.get(media.mediaId) ?? '';
  return { snapshot, snapshots };
}
