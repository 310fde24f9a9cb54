import type { Kysely } from 'kysely';
import type { CircleDatabase } from '../db/schema.js';
import type { CircleRow, MemberRow } from '../circles/circle-store.js';

export type EraseDb = CircleDatabase;

/** The circles `userId` belongs to, in id order (the order their locks are taken in). */
export async function circlesOfMember(db: Kysely<EraseDb>, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('members')
    .select('circle_id')
    .where('user_id', '=', userId)
    .orderBy('circle_id')
    .execute();
  return rows.map((r) => r.circle_id);
}

/**
 * Who inherits a circle from its OWNER `ownerId`: the longest-serving ADMIN, else the
 * longest-serving MEMBER; undefined when nobody else belongs to it. Locked for the change.
 */
export async function heirOf(
  db: Kysely<EraseDb>,
  circleId: string,
  ownerId: string,
): Promise<MemberRow | undefined> {
  return (
    db
      .selectFrom('members')
      .selectAll()
      .where('circle_id', '=', circleId)
      .where('user_id', '!=', ownerId)
      // CircleRole: ADMIN (2) before MEMBER (3).
      .orderBy('role')
      .orderBy('joined_at')
      .orderBy('user_id')
      .limit(1)
      .forUpdate()
      .executeTakeFirst()
  );
}

/** The circles whose avatar `userId` uploaded, locked for the change. */
export async function circlesWithAvatarBy(
  db: Kysely<EraseDb>,
  userId: string,
): Promise<Pick<CircleRow, 'id' | 'owner_id' | 'avatar_media_id' | 'avatar_owner_id'>[]> {
  return db
    .selectFrom('circles')
    .select(['id', 'owner_id', 'avatar_media_id', 'avatar_owner_id'])
    .where('avatar_owner_id', '=', userId)
    .orderBy('id')
    .forUpdate()
    .execute();
}

/**
 * Everything else circle holds about `userId`, once their memberships have ended: invites to
 * and from them, their join requests, bans of them, the invite links they made (they stop
 * working), the hides of their posts (post deletes the posts themselves), their profile and
 * blocks, their membership versions. What the circles keep of what they did (bans they issued,
 * posts they hid, audit entries) no longer says who did it.
 */
export async function forgetUser(db: Kysely<EraseDb>, userId: string): Promise<void> {
  await db
    .deleteFrom('invites')
    .where((eb) => eb.or([eb('inviter_id', '=', userId), eb('invitee_id', '=', userId)]))
    .execute();
  await db.deleteFrom('join_requests').where('requester_id', '=', userId).execute();
  await db.deleteFrom('bans').where('user_id', '=', userId).execute();
  await db.updateTable('bans').set({ banned_by: null }).where('banned_by', '=', userId).execute();
  await db.deleteFrom('invite_links').where('created_by', '=', userId).execute();
  await db.deleteFrom('hidden_posts').where('author_id', '=', userId).execute();
  await db
    .updateTable('hidden_posts')
    .set({ hidden_by: null })
    .where('hidden_by', '=', userId)
    .execute();
  await db
    .updateTable('audit_log')
    .set({ actor_id: null })
    .where('actor_id', '=', userId)
    .execute();
  await db
    .updateTable('audit_log')
    .set({ target_id: null })
    .where('target_id', '=', userId)
    .execute();
  await db.deleteFrom('users').where('user_id', '=', userId).execute();
  await db
    .deleteFrom('blocks')
    .where((eb) => eb.or([eb('blocker_id', '=', userId), eb('blocked_id', '=', userId)]))
    .execute();
  await db.deleteFrom('membership_versions').where('user_id', '=', userId).execute();
}
