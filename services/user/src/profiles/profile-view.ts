import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ProfileSchema } from '@kith/gen/kith/user/v1/types_pb.js';
import type { RelationshipRow } from '../graph/relationship-store.js';
import { toRelationship } from '../graph/relationships.js';
import type { ProfileRow } from './profile-store.js';

/**
 * Whether a profile answers NotFound to everyone but its owner: disabled by staff, suspended
 * (until the suspension ends) or banned by moderation, scheduled for deletion, or erased. For a
 * row already read (the cache); queries filter with the same rule in SQL, `profileShownAt`
 * (profile-visibility.ts), and profile-visibility.test.ts holds the two to each other.
 */
export function hiddenFromOthers(row: ProfileRow, now: Date): boolean {
  if (row.deleted_at !== null || row.deletion_scheduled_for !== null) return true;
  if (row.disabled_at !== null || row.moderation_banned) return true;
  if (row.moderation_suspended) {
    const until = row.moderation_suspended_until;
    return until === null || until.getTime() > now.getTime();
  }
  return false;
}

/** A profile as the viewer sees it. */
export function profileMessage(
  row: ProfileRow,
  view: {
    isOwner: boolean;
    counts: { followers: number; following: number };
    relationship?: RelationshipRow | undefined;
  },
): MessageInitShape<typeof ProfileSchema> {
  const countsShown = view.isOwner || !row.hide_follow_lists;
  return {
    userId: row.user_id,
    username: row.username,
    displayName: row.display_name,
    bio: row.bio,
    avatarMediaId: row.avatar_media_id ?? '',
    avatarUrl: row.avatar_url,
    links: row.links.map((link) => ({ label: link.label, url: link.url })),
    locked: row.locked,
    hideFollowLists: row.hide_follow_lists,
    followersCount: countsShown ? view.counts.followers : 0,
    followingCount: countsShown ? view.counts.following : 0,
    // The post service does not exist yet: its issue feeds a per-user count of the posts a
    // caller may see (post events projected here). Until then every profile shows 0.
    postsCount: 0,
    createdAt: timestampFromDate(row.created_at),
    relationship: view.relationship ? toRelationship(view.relationship) : undefined,
    version: BigInt(row.version),
  };
}
