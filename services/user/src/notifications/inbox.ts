import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { withTables } from '@kith/db';
import { UserSummarySchema } from '@kith/gen/kith/common/v1/common_pb.js';
import type { UserSummary } from '@kith/gen/kith/common/v1/common_pb.js';
import {
  NotificationGroupSchema,
  NotificationSubjectSchema,
} from '@kith/gen/kith/user/v1/notification_pb.js';
import type {
  NotificationGroup,
  NotificationType,
} from '@kith/gen/kith/user/v1/notification_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import {
  countUnread,
  groupActors,
  listGroups,
  markGroupsRead,
  markReadUpTo,
} from './notification-store.js';
import type { NotificationStoreDb } from './notification-store.js';
import type { GroupRow } from './notification-store.js';
import type { SubjectKind } from './record.js';

const SAMPLE_ACTORS = 3;
/** Before the oldest UUID: a position at a time, ahead of every id recorded at that time. */
const NIL_ID = '00000000-0000-0000-0000-000000000000';

export interface ListInput {
  types: readonly NotificationType[];
  unreadOnly: boolean;
  filtered: boolean;
  pageSize: number;
  pageToken: string;
  newerThanPageToken: string;
}

/**
 * The caller's groups, newest activity first: older than page_token, or the closest ones newer
 * than newer_than_page_token. prev_page_token marks the page's newest position (or, on an empty
 * page, the position it was asked from) so the client can ask what arrived since.
 */
export async function listNotifications(
  app: UserApp,
  caller: SignedInCaller,
  input: ListInput,
): Promise<{ groups: NotificationGroup[]; nextPageToken: string; prevPageToken: string }> {
  const userId = caller.principal.userId;
  const types = [...input.types].sort((a, b) => a - b);
  const binding = `user.notifications:${userId}:${input.filtered ? 'f' : 'm'}:${input.unreadOnly ? 'u' : 'a'}:${types.join(',')}`;
  const newer = input.newerThanPageToken !== '';
  const token = newer ? input.newerThanPageToken : input.pageToken;
  const db = withTables<NotificationStoreDb>(app.database.db);
  const page = await listGroups(
    db,
    { recipientId: userId, filtered: input.filtered, types, unreadOnly: input.unreadOnly },
    { pageSize: input.pageSize, pageToken: token, newer, codec: app.pageTokens, binding },
  );
  const newest = page.items[0];
  const prevPageToken = newest
    ? app.pageTokens.encode({ keys: [newest.latest_at], id: newest.latest_id }, binding)
    : token || app.pageTokens.encode({ keys: [caller.now], id: NIL_ID }, binding);

  const actors = await groupActors(
    db,
    userId,
    page.items.map((g) => g.group_key),
  );
  const samples = new Map<string, UserSummary[]>();
  for (const actor of actors) {
    const list = samples.get(actor.group_key) ?? [];
    if (list.length < SAMPLE_ACTORS) {
      list.push(
        create(UserSummarySchema, {
          userId: actor.actor_id,
          username: actor.username,
          displayName: actor.display_name,
        }),
      );
    }
    samples.set(actor.group_key, list);
  }
  return {
    groups: page.items.map((row) => groupMessage(row, samples.get(row.group_key) ?? [])),
    nextPageToken: page.nextPageToken,
    prevPageToken,
  };
}

function groupMessage(row: GroupRow, sampleActors: UserSummary[]): NotificationGroup {
  const subject =
    row.subject_kind && row.subject_id
      ? create(NotificationSubjectSchema, {
          kind: { case: row.subject_kind as SubjectKind, value: row.subject_id },
          withinCircleId: row.within_circle_id ?? '',
        })
      : undefined;
  return create(NotificationGroupSchema, {
    groupKey: row.group_key,
    type: row.type,
    subject,
    sampleActors,
    actorCount: row.actor_count,
    notificationCount: row.notification_count,
    latestNotificationId: row.latest_id,
    latestAt: timestampFromDate(row.latest_at),
    earliestAt: timestampFromDate(row.earliest_at),
    read: row.read,
    filtered: row.filtered,
    preview: row.preview,
  });
}

/** Unread notifications (not groups) in the main and in the filtered inbox. */
export async function unreadCount(
  app: UserApp,
  caller: SignedInCaller,
): Promise<{ unreadCount: number; filteredUnreadCount: number }> {
  const counts = await countUnread(
    withTables<NotificationStoreDb>(app.database.db),
    caller.principal.userId,
  );
  return { unreadCount: counts.main, filteredUnreadCount: counts.filtered };
}

/**
 * Marks the caller's notifications read: up to (and including) a notification, or whole groups.
 * Ids and keys that are not the caller's change nothing. Answers the main inbox's unread count.
 */
export async function markRead(
  app: UserApp,
  caller: SignedInCaller,
  target: { upTo: string } | { groupKeys: readonly string[] },
): Promise<{ unreadCount: number }> {
  const userId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const db = withTables<NotificationStoreDb>(trx);
    if ('upTo' in target) await markReadUpTo(db, userId, target.upTo);
    else await markGroupsRead(db, userId, target.groupKeys);
    const counts = await countUnread(db, userId);
    return { unreadCount: counts.main };
  });
}
