import type { Kysely } from 'kysely';
import type { CircleDatabase } from '../db/schema.js';

export type ExportDb = CircleDatabase;

/** The circles `userId` belongs to, with their membership and safety role. */
export function exportMemberships(db: Kysely<ExportDb>, userId: string) {
  return db
    .selectFrom('members')
    .innerJoin('circles', 'circles.id', 'members.circle_id')
    .select([
      'members.circle_id',
      'circles.name as circle_name',
      'members.role',
      'members.joined_via',
      'members.joined_at',
      'members.responder',
      'members.primary_contact',
      'members.quiet_hours_enabled',
      'members.quiet_start_minute',
      'members.quiet_end_minute',
      'members.quiet_time_zone',
    ])
    .where('members.user_id', '=', userId)
    .orderBy('members.joined_at')
    .execute();
}

/** The circles `userId` owns, as they wrote them (deleted ones still in their window too). */
export function exportOwnedCircles(db: Kysely<ExportDb>, userId: string) {
  return db
    .selectFrom('circles')
    .select([
      'id',
      'name',
      'description',
      'join_rule',
      'member_cap',
      'discoverable',
      'rules',
      'rules_version',
      'member_count',
      'created_at',
      'updated_at',
      'deleted_at',
      'purge_at',
    ])
    .where('owner_id', '=', userId)
    .orderBy('created_at')
    .execute();
}

/** Invites `userId` received or sent (the other person is not named). */
export function exportInvites(db: Kysely<ExportDb>, userId: string) {
  return db
    .selectFrom('invites')
    .leftJoin('circles', 'circles.id', 'invites.circle_id')
    .select([
      'invites.id',
      'invites.circle_id',
      'circles.name as circle_name',
      'invites.inviter_id',
      'invites.message',
      'invites.status',
      'invites.created_at',
      'invites.expires_at',
      'invites.decided_at',
    ])
    .where((eb) =>
      eb.or([eb('invites.inviter_id', '=', userId), eb('invites.invitee_id', '=', userId)]),
    )
    .orderBy('invites.id')
    .execute();
}

/** `userId`'s requests to join. */
export function exportJoinRequests(db: Kysely<ExportDb>, userId: string) {
  return db
    .selectFrom('join_requests')
    .leftJoin('circles', 'circles.id', 'join_requests.circle_id')
    .select([
      'join_requests.id',
      'join_requests.circle_id',
      'circles.name as circle_name',
      'join_requests.message',
      'join_requests.status',
      'join_requests.created_at',
      'join_requests.decided_at',
    ])
    .where('join_requests.requester_id', '=', userId)
    .orderBy('join_requests.id')
    .execute();
}

/** The bans on `userId` (who issued them is not named). */
export function exportBans(db: Kysely<ExportDb>, userId: string) {
  return db
    .selectFrom('bans')
    .innerJoin('circles', 'circles.id', 'bans.circle_id')
    .select([
      'bans.circle_id',
      'circles.name as circle_name',
      'bans.reason',
      'bans.created_at',
      'bans.expires_at',
    ])
    .where('bans.user_id', '=', userId)
    .orderBy('bans.created_at')
    .execute();
}

/** The invite links `userId` made, without their codes (a code lets anyone in). */
export function exportInviteLinks(db: Kysely<ExportDb>, userId: string) {
  return db
    .selectFrom('invite_links')
    .select([
      'id',
      'circle_id',
      'created_at',
      'expires_at',
      'max_uses',
      'use_count',
      'require_approval',
      'disabled',
      'revoked_at',
    ])
    .where('created_by', '=', userId)
    .orderBy('id')
    .execute();
}

/** The circle audit entries `userId` acted in or was the target of, oldest first. */
export function exportAuditEntries(db: Kysely<ExportDb>, userId: string) {
  return db
    .selectFrom('audit_log')
    .select(['id', 'circle_id', 'action', 'actor_id', 'target_id', 'details', 'created_at'])
    .where((eb) => eb.or([eb('actor_id', '=', userId), eb('target_id', '=', userId)]))
    .orderBy('id')
    .execute();
}

/** The hides standing on `userId`'s posts (who hid them is not named). */
export function exportHiddenPosts(db: Kysely<ExportDb>, userId: string) {
  return db
    .selectFrom('hidden_posts')
    .innerJoin('circles', 'circles.id', 'hidden_posts.circle_id')
    .select([
      'hidden_posts.circle_id',
      'circles.name as circle_name',
      'hidden_posts.post_id',
      'hidden_posts.reason',
      'hidden_posts.note',
      'hidden_posts.hidden_at',
    ])
    .where('hidden_posts.author_id', '=', userId)
    .orderBy('hidden_posts.hidden_at')
    .orderBy('hidden_posts.post_id')
    .execute();
}
