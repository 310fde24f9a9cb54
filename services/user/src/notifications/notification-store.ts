import { fetchPage } from '@kith/db';
import type { KeysetColumn, PageTokenCodec } from '@kith/db';
import { sql } from 'kysely';
import type { Generated, Insertable, Kysely } from 'kysely';
import type { GraphDb } from '../graph/relationship-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';

export interface NotificationTable {
  id: string;
  recipient_id: string;
  /** kith.user.v1.NotificationType number. */
  type: number;
  group_key: string;
  group_started_at: Date;
  actor_id: string | null;
  /** NotificationSubject's oneof case (`postId`, `userId`…), '' when unset. */
  subject_kind: Generated<string>;
  subject_id: string | null;
  within_circle_id: string | null;
  preview: Generated<string>;
  filtered: Generated<boolean>;
  read: Generated<boolean>;
  source_event_id: string;
  created_at: Date;
}

export interface NotificationPreferencesTable {
  user_id: string;
  per_type: Generated<Record<string, StoredTypePreference>>;
  from_not_following: Generated<number>;
  from_not_followers: Generated<number>;
  from_new_accounts: Generated<number>;
  from_limited_accounts: Generated<number>;
  quiet_start_minute: number | null;
  quiet_end_minute: number | null;
  quiet_time_zone: Generated<string>;
  quiet_hours_enabled: Generated<boolean>;
  version: Generated<number>;
  updated_at: Generated<Date>;
}

/** One type's channels as stored in `per_type`. */
export interface StoredTypePreference {
  in_app: boolean;
  push: boolean;
  email: boolean;
}

/** A member's quiet hours for one circle's help requests (kith.circle.v1.MemberSafety). */
export interface CircleQuietHoursTable {
  circle_id: string;
  user_id: string;
  start_minute: number;
  end_minute: number;
  time_zone: Generated<string>;
  enabled: boolean;
  version: string;
}

/** The notifications area's own tables. */
export interface NotificationsDb {
  notifications: NotificationTable;
  notification_preferences: NotificationPreferencesTable;
  circle_quiet_hours: CircleQuietHoursTable;
}

/**
 * What the store reads: its own tables, settings (time zone), profiles and blocks (actors), and
 * the account's e-mail address (the e-mail channel).
 */
export type NotificationStoreDb = NotificationsDb &
  Pick<ProfilesDb, 'profiles' | 'settings' | 'contacts'> &
  Pick<GraphDb, 'blocks' | 'mutes' | 'follows'>;

/**
 * Records notifications in one statement; the ids of those recorded. A row whose event already
 * notified its recipient of its type records nothing (and neither does a second such row here).
 */
export async function insertNotifications(
  db: Kysely<NotificationStoreDb>,
  rows: readonly Insertable<NotificationTable>[],
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const inserted = await db
    .insertInto('notifications')
    .values([...rows])
    .onConflict((oc) => oc.constraint('notifications_source_unique').doNothing())
    .returning('id')
    .execute();
  return new Set(inserted.map((row) => row.id));
}

/** The newest group of `type` about `subjectId` for the recipient that started after `since`. */
export async function openGroup(
  db: Kysely<NotificationStoreDb>,
  key: { recipientId: string; type: number; subjectId: string; since: Date },
): Promise<{ groupKey: string; startedAt: Date } | undefined> {
  const row = await db
    .selectFrom('notifications')
    .select(['group_key', 'group_started_at'])
    .where('recipient_id', '=', key.recipientId)
    .where('type', '=', key.type)
    .where('subject_id', '=', key.subjectId)
    .where('group_started_at', '>', key.since)
    .orderBy('group_started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { groupKey: row.group_key, startedAt: row.group_started_at } : undefined;
}

/** The first of `types` recorded about a subject for anyone (which alert an incident raised). */
export async function typeRecordedFor(
  db: Kysely<NotificationStoreDb>,
  subjectId: string,
  types: readonly number[],
): Promise<number | undefined> {
  const row = await db
    .selectFrom('notifications')
    .select('type')
    .where('subject_id', '=', subjectId)
    .where('type', 'in', types)
    .limit(1)
    .executeTakeFirst();
  return row?.type;
}

/** Takes an actor out of the recipient's groups of `type` about a subject (unlike, unrepost). */
export async function deleteActorNotifications(
  db: Kysely<NotificationStoreDb>,
  key: { recipientId: string; type: number; subjectId: string; actorId: string },
): Promise<void> {
  await db
    .deleteFrom('notifications')
    .where('recipient_id', '=', key.recipientId)
    .where('type', '=', key.type)
    .where('subject_id', '=', key.subjectId)
    .where('actor_id', '=', key.actorId)
    .execute();
}

/** One group as ListNotifications shows it, from its newest notification and its aggregates. */
export interface GroupRow {
  group_key: string;
  type: number;
  subject_kind: string;
  subject_id: string | null;
  within_circle_id: string | null;
  preview: string;
  filtered: boolean;
  latest_id: string;
  latest_at: Date;
  earliest_at: Date;
  notification_count: number;
  actor_count: number;
  read: boolean;
}

export interface GroupFilter {
  recipientId: string;
  filtered: boolean;
  types: readonly number[];
  unreadOnly: boolean;
}

const OLDER_FIRST: readonly KeysetColumn[] = [
  { ref: 'g.latest_at', direction: 'desc' },
  { ref: 'g.latest_id', direction: 'desc' },
];
const NEWER_FIRST: readonly KeysetColumn[] = [
  { ref: 'g.latest_at', direction: 'asc' },
  { ref: 'g.latest_id', direction: 'asc' },
];

function groupsQuery(db: Kysely<NotificationStoreDb>, filter: GroupFilter) {
  let members = db
    .selectFrom('notifications')
    .select((eb) => [
      'group_key',
      eb.fn.max('created_at').as('latest_at'),
      eb.fn.min('created_at').as('earliest_at'),
      sql<string>`(array_agg(id order by created_at desc, id desc))[1]`.as('latest_id'),
      sql<number>`count(*)::int`.as('notification_count'),
      sql<number>`count(distinct actor_id)::int`.as('actor_count'),
      sql<boolean>`bool_and(read)`.as('read'),
    ])
    .where('recipient_id', '=', filter.recipientId)
    .where('filtered', '=', filter.filtered);
  if (filter.types.length > 0) members = members.where('type', 'in', filter.types);
  if (filter.unreadOnly) members = members.where('read', '=', false);
  return db
    .selectFrom(members.groupBy('group_key').as('g'))
    .innerJoin('notifications as n', 'n.id', 'g.latest_id')
    .select([
      'g.group_key',
      'n.type',
      'n.subject_kind',
      'n.subject_id',
      'n.within_circle_id',
      'n.preview',
      'n.filtered',
      'g.latest_id',
      'g.latest_at',
      'g.earliest_at',
      'g.notification_count',
      'g.actor_count',
      'g.read',
    ]);
}

/**
 * One page of the recipient's groups, newest activity first: older than `pageToken`, or (with
 * `newer`) the closest ones newer than it, returned newest first too.
 */
export async function listGroups(
  db: Kysely<NotificationStoreDb>,
  filter: GroupFilter,
  page: {
    pageSize: number;
    pageToken: string;
    newer: boolean;
    codec: PageTokenCodec;
    binding: string;
  },
): Promise<{ items: GroupRow[]; nextPageToken: string }> {
  const result = await fetchPage(groupsQuery(db, filter), {
    columns: page.newer ? NEWER_FIRST : OLDER_FIRST,
    pageSize: page.pageSize,
    pageToken: page.pageToken,
    codec: page.codec,
    binding: page.binding,
    keysOf: (row) => [row.latest_at],
    idOf: (row) => row.latest_id,
  });
  if (!page.newer) return result;
  return { items: result.items.reverse(), nextPageToken: '' };
}

/**
 * The distinct actors of each group, most recent first; an actor blocked either way since is
 * left out (a block hides each from the other in notifications too).
 */
export async function groupActors(
  db: Kysely<NotificationStoreDb>,
  recipientId: string,
  groupKeys: readonly string[],
): Promise<{ group_key: string; actor_id: string; username: string; display_name: string }[]> {
  if (groupKeys.length === 0) return [];
  return db
    .selectFrom('notifications')
    .innerJoin('profiles', 'profiles.user_id', 'notifications.actor_id')
    .select(['notifications.group_key', 'profiles.user_id as actor_id'])
    .select(['profiles.username', 'profiles.display_name'])
    .select((eb) => eb.fn.max('notifications.created_at').as('last_at'))
    .where('notifications.recipient_id', '=', recipientId)
    .where('notifications.group_key', 'in', groupKeys)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('blocks')
            .select('blocks.blocker_id')
            .where((b) =>
              b.or([
                b.and([
                  b('blocks.blocker_id', '=', recipientId),
                  b('blocks.blocked_id', '=', b.ref('notifications.actor_id')),
                ]),
                b.and([
                  b('blocks.blocked_id', '=', recipientId),
                  b('blocks.blocker_id', '=', b.ref('notifications.actor_id')),
                ]),
              ]),
            ),
        ),
      ),
    )
    .groupBy([
      'notifications.group_key',
      'profiles.user_id',
      'profiles.username',
      'profiles.display_name',
    ])
    .orderBy('notifications.group_key')
    .orderBy('last_at', 'desc')
    .execute();
}

/** Unread notifications in the main and in the filtered inbox. */
export async function countUnread(
  db: Kysely<NotificationStoreDb>,
  recipientId: string,
): Promise<{ main: number; filtered: number }> {
  const rows = await db
    .selectFrom('notifications')
    .select(['filtered', sql<number>`count(*)::int`.as('count')])
    .where('recipient_id', '=', recipientId)
    .where('read', '=', false)
    .groupBy('filtered')
    .execute();
  return {
    main: rows.find((r) => !r.filtered)?.count ?? 0,
    filtered: rows.find((r) => r.filtered)?.count ?? 0,
  };
}

/** Marks one of the recipient's notifications and every older one read (unknown ids: nothing). */
export async function markReadUpTo(
  db: Kysely<NotificationStoreDb>,
  recipientId: string,
  notificationId: string,
): Promise<void> {
  const mark = await db
    .selectFrom('notifications')
    .select(['created_at', 'id'])
    .where('recipient_id', '=', recipientId)
    .where('id', '=', notificationId)
    .executeTakeFirst();
  if (!mark) return;
  await db
    .updateTable('notifications')
    .set({ read: true })
    .where('recipient_id', '=', recipientId)
    .where('read', '=', false)
    .where(sql<boolean>`(created_at, id) <= (${mark.created_at}, ${mark.id})`)
    .execute();
}

/** Marks every notification of the recipient's given groups read. */
export async function markGroupsRead(
  db: Kysely<NotificationStoreDb>,
  recipientId: string,
  groupKeys: readonly string[],
): Promise<void> {
  if (groupKeys.length === 0) return;
  await db
    .updateTable('notifications')
    .set({ read: true })
    .where('recipient_id', '=', recipientId)
    .where('group_key', 'in', groupKeys)
    .where('read', '=', false)
    .execute();
}

export type PreferencesRow = NotificationPreferencesTable extends infer T
  ? { [K in keyof T]: T[K] extends Generated<infer V> ? V : T[K] }
  : never;

/** The user's stored preferences; undefined while they never changed any. */
export async function findPreferences(
  db: Kysely<NotificationStoreDb>,
  userId: string,
): Promise<PreferencesRow | undefined> {
  return (await preferencesOf(db, [userId])).get(userId);
}

/** The stored preferences of each of the users who ever changed any, by user id. */
export async function preferencesOf(
  db: Kysely<NotificationStoreDb>,
  userIds: readonly string[],
): Promise<Map<string, PreferencesRow>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('notification_preferences')
    .selectAll()
    .where('user_id', 'in', [...userIds])
    .execute();
  return new Map(rows.map((row) => [row.user_id, row]));
}

/** The user's preferences row, created with the defaults if missing, locked for the update. */
export async function lockPreferences(
  db: Kysely<NotificationStoreDb>,
  userId: string,
): Promise<PreferencesRow> {
  await db
    .insertInto('notification_preferences')
    .values({ user_id: userId, quiet_start_minute: null, quiet_end_minute: null })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
  return db
    .selectFrom('notification_preferences')
    .selectAll()
    .where('user_id', '=', userId)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

/** Writes the preferences and bumps their version. */
export async function savePreferences(
  db: Kysely<NotificationStoreDb>,
  userId: string,
  values: Omit<PreferencesRow, 'user_id' | 'version'>,
): Promise<PreferencesRow> {
  return db
    .updateTable('notification_preferences')
    .set({
      per_type: values.per_type,
      from_not_following: values.from_not_following,
      from_not_followers: values.from_not_followers,
      from_new_accounts: values.from_new_accounts,
      from_limited_accounts: values.from_limited_accounts,
      quiet_start_minute: values.quiet_start_minute,
      quiet_end_minute: values.quiet_end_minute,
      quiet_time_zone: values.quiet_time_zone,
      quiet_hours_enabled: values.quiet_hours_enabled,
      updated_at: values.updated_at,
      version: (eb) => eb('version', '+', 1),
    })
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The user's time zone from their settings; '' when unset. */
export async function settingsTimeZone(
  db: Kysely<NotificationStoreDb>,
  userId: string,
): Promise<string> {
  const row = await db
    .selectFrom('settings')
    .select('time_zone')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.time_zone ?? '';
}

/** What a notification from `actorId` to `recipientId` depends on between the two of them. */
export interface ActorStanding {
  /** A block either way. */
  blocked: boolean;
  /** The recipient mutes the actor, notifications included, at `now`. */
  muted: boolean;
  recipientFollowsActor: boolean;
  actorFollowsRecipient: boolean;
  /** The actor's profile: when it was made, and whether moderation limits it. */
  sender: { createdAt: Date; limited: boolean } | undefined;
}

/**
 * The actor's standing with the recipient in one statement: each part an index lookup, asked
 * together instead of one round trip each (a notification is recorded per like, reply, follow…).
 */
export async function actorStanding(
  db: Kysely<NotificationStoreDb>,
  recipientId: string,
  actorId: string,
  now: Date,
): Promise<ActorStanding> {
  const follows = (followerId: string, followeeId: string) =>
    db
      .selectFrom('follows')
      .select('follower_id')
      .where('follower_id', '=', followerId)
      .where('followee_id', '=', followeeId);
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .exists(
          eb
            .selectFrom('blocks')
            .select('blocker_id')
            .where((b) =>
              b.or([
                b.and([b('blocker_id', '=', recipientId), b('blocked_id', '=', actorId)]),
                b.and([b('blocker_id', '=', actorId), b('blocked_id', '=', recipientId)]),
              ]),
            ),
        )
        .as('blocked'),
      eb
        .exists(
          eb
            .selectFrom('mutes')
            .select('muter_id')
            .where('muter_id', '=', recipientId)
            .where('muted_id', '=', actorId)
            .where('include_notifications', '=', true)
            .where((m) => m.or([m('expires_at', 'is', null), m('expires_at', '>', now)])),
        )
        .as('muted'),
      eb.exists(follows(recipientId, actorId)).as('recipient_follows'),
      eb.exists(follows(actorId, recipientId)).as('actor_follows'),
      eb
        .selectFrom('profiles')
        .select('created_at')
        .where('user_id', '=', actorId)
        .as('sender_created_at'),
      eb
        .selectFrom('profiles')
        .select('moderation_limited')
        .where('user_id', '=', actorId)
        .as('sender_limited'),
    ])
    .executeTakeFirstOrThrow();
  return {
    // Postgres and PGlite answer EXISTS with a boolean (Kysely's type allows SQLite's 0/1).
    blocked: row.blocked === true,
    muted: row.muted === true,
    recipientFollowsActor: row.recipient_follows === true,
    actorFollowsRecipient: row.actor_follows === true,
    sender:
      row.sender_created_at === null
        ? undefined
        : { createdAt: row.sender_created_at, limited: row.sender_limited === true },
  };
}

/** The public handles of users, for push texts, by user id (unknown users absent). */
export async function usernamesOf(
  db: Kysely<NotificationStoreDb>,
  userIds: readonly string[],
): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('profiles')
    .select(['user_id', 'username'])
    .where('user_id', 'in', [...userIds])
    .execute();
  return new Map(rows.map((row) => [row.user_id, row.username]));
}

/** The accounts' e-mail addresses, as auth's events last gave them, by user id. */
export async function contactEmailsOf(
  db: Kysely<NotificationStoreDb>,
  userIds: readonly string[],
): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('contacts')
    .select(['user_id', 'email'])
    .where('user_id', 'in', [...userIds])
    .execute();
  return new Map(rows.map((row) => [row.user_id, row.email]));
}

/** Stores a member's quiet hours for a circle unless a newer membership version is stored. */
export async function upsertCircleQuietHours(
  db: Kysely<NotificationStoreDb>,
  row: Insertable<CircleQuietHoursTable>,
): Promise<void> {
  await db
    .insertInto('circle_quiet_hours')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['user_id', 'circle_id'])
        .doUpdateSet((eb) => ({
          start_minute: eb.ref('excluded.start_minute'),
          end_minute: eb.ref('excluded.end_minute'),
          time_zone: eb.ref('excluded.time_zone'),
          enabled: eb.ref('excluded.enabled'),
          version: eb.ref('excluded.version'),
        }))
        .where('circle_quiet_hours.version', '<', (eb) => eb.ref('excluded.version')),
    )
    .execute();
}

/** Forgets a member's quiet hours for a circle they left or were removed from. */
export async function deleteCircleQuietHours(
  db: Kysely<NotificationStoreDb>,
  userId: string,
  circleId: string,
): Promise<void> {
  await db
    .deleteFrom('circle_quiet_hours')
    .where('user_id', '=', userId)
    .where('circle_id', '=', circleId)
    .execute();
}

/** The member's enabled quiet hours among these circles. */
export async function circleQuietHoursOf(
  db: Kysely<NotificationStoreDb>,
  userId: string,
  circleIds: readonly string[],
): Promise<{ start_minute: number; end_minute: number; time_zone: string }[]> {
  if (circleIds.length === 0) return [];
  return db
    .selectFrom('circle_quiet_hours')
    .select(['start_minute', 'end_minute', 'time_zone'])
    .where('user_id', '=', userId)
    .where('circle_id', 'in', circleIds)
    .where('enabled', '=', true)
    .execute();
}
