import type { Kysely } from 'kysely';
import type { UserDatabase } from '../db/schema.js';

// The reads behind the user service's own part of a data export. Each returns the user's own
// rows only: the other side of a relationship is an id, never that user's profile, settings
// or contact; relationships the other user owns (their blocks and mutes of this user) are
// never read.

export async function ownProfile(db: Kysely<UserDatabase>, userId: string) {
  return db
    .selectFrom('profiles')
    .select([
      'user_id',
      'username',
      'display_name',
      'bio',
      'locale',
      'created_at',
      'updated_at',
      'deletion_scheduled_for',
    ])
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

export async function ownSettings(db: Kysely<UserDatabase>, userId: string) {
  return db
    .selectFrom('settings')
    .select([
      'locale',
      'time_zone',
      'discoverable',
      'default_audience',
      'show_sensitive_media',
      'mention_policy',
      'content_languages',
      'indexable',
      'updated_at',
    ])
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

export async function ownContact(db: Kysely<UserDatabase>, userId: string) {
  return db
    .selectFrom('contacts')
    .select(['email', 'updated_at'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** Whom the user follows. */
export async function ownFollowing(db: Kysely<UserDatabase>, userId: string) {
  return db
    .selectFrom('follows')
    .select(['followee_id as user_id', 'created_at'])
    .where('follower_id', '=', userId)
    .orderBy('created_at')
    .execute();
}

/** Who follows the user. */
export async function ownFollowers(db: Kysely<UserDatabase>, userId: string) {
  return db
    .selectFrom('follows')
    .select(['follower_id as user_id', 'created_at'])
    .where('followee_id', '=', userId)
    .orderBy('created_at')
    .execute();
}

/** Follow requests the user sent and the ones waiting for their answer. */
export async function ownFollowRequests(db: Kysely<UserDatabase>, userId: string) {
  const sent = await db
    .selectFrom('follow_requests')
    .select(['target_id as user_id', 'created_at'])
    .where('requester_id', '=', userId)
    .orderBy('created_at')
    .execute();
  const received = await db
    .selectFrom('follow_requests')
    .select(['requester_id as user_id', 'created_at'])
    .where('target_id', '=', userId)
    .orderBy('created_at')
    .execute();
  return { sent, received };
}

/** The blocks the user made (never who blocks them). */
export async function ownBlocks(db: Kysely<UserDatabase>, userId: string) {
  return db
    .selectFrom('blocks')
    .select(['blocked_id as user_id', 'created_at'])
    .where('blocker_id', '=', userId)
    .orderBy('created_at')
    .execute();
}

/** The mutes the user made (never who mutes them). */
export async function ownMutes(db: Kysely<UserDatabase>, userId: string) {
  return db
    .selectFrom('mutes')
    .select(['muted_id as user_id', 'include_notifications', 'expires_at', 'created_at'])
    .where('muter_id', '=', userId)
    .orderBy('created_at')
    .execute();
}

/** The user's data exports (their history, and the archives to delete on erasure). */
export async function ownDataExports(db: Kysely<UserDatabase>, userId: string) {
  return db
    .selectFrom('data_exports')
    .select(['id', 'status', 'requested_at', 'ready_at', 'downloaded_at', 'archive_key'])
    .where('user_id', '=', userId)
    .orderBy('requested_at')
    .execute();
}
