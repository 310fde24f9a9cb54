import type { ColumnType, Generated } from 'kysely';

/** A circle's rule, as stored in `circles.rules`. */
export interface StoredRule {
  title: string;
  body: string;
}

export interface CirclesTable {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  avatar_media_id: string | null;
  /** Who uploaded the avatar: post holds it for them (set with avatar_media_id). */
  avatar_owner_id: string | null;
  avatar_url: string;
  join_rule: number;
  member_cap: number;
  discoverable: boolean;
  member_count: Generated<number>;
  /** jsonb, written as a JSON string. */
  rules: ColumnType<StoredRule[], string | undefined, string>;
  rules_version: Generated<number>;
  /** bigint: pg hands it back as a string. */
  version: Generated<string>;
  moderation_state: Generated<number>;
  /** The moderation enforcement version applied last (bigint: a string). */
  moderation_version: Generated<string>;
  /** The circle is deleted because moderation removed it (a reversal restores it). */
  removed_by_moderation: Generated<boolean>;
  created_at: Date;
  updated_at: Date;
  active_at: Date;
  deleted_at: Date | null;
  purge_at: Date | null;
  /** Search: the name, and the name with the description, accents stripped, lower case. */
  search_name: Generated<string>;
  search_text: Generated<string>;
}

export interface MembersTable {
  circle_id: string;
  user_id: string;
  role: number;
  joined_via: number;
  joined_at: Date;
  responder: Generated<boolean>;
  primary_contact: Generated<boolean>;
  quiet_hours_enabled: Generated<boolean>;
  quiet_start_minute: number | null;
  quiet_end_minute: number | null;
  quiet_time_zone: string | null;
}

export interface MembershipVersionsTable {
  circle_id: string;
  user_id: string;
  version: string;
}

/** The fields of an AuditEntry that only some actions carry. */
export interface AuditDetails {
  oldRole?: number;
  newRole?: number;
  reason?: string;
  banExpiresAt?: string;
  joinedVia?: number;
  changedFields?: string[];
  rulesVersion?: number;
  postId?: string;
  hideReason?: number;
  inviteId?: string;
  inviteLinkId?: string;
  joinRequestId?: string;
}

export interface AuditLogTable {
  id: string;
  circle_id: string;
  action: number;
  actor_id: string | null;
  target_id: string | null;
  /** jsonb, written as a JSON string. */
  details: ColumnType<AuditDetails, string | undefined, string>;
  created_at: Date;
}

/** The profiles circle shows, projected from user.profile_updated. */
export interface UsersTable {
  user_id: string;
  username: string;
  display_name: string;
  avatar_url: string;
  locked: boolean;
  version: string;
}

/** A block between two users, projected from user.blocked / user.unblocked. */
export interface BlocksTable {
  blocker_id: string;
  blocked_id: string;
  active: boolean;
  version: string;
}

/** A direct invite (status: RequestStatus). */
export interface InvitesTable {
  id: string;
  circle_id: string;
  inviter_id: string;
  invitee_id: string;
  message: string;
  status: number;
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
}

/** A ban: the user cannot join by any path until it ends (expires_at null = permanent). */
export interface BansTable {
  circle_id: string;
  user_id: string;
  reason: string;
  /** Null once the account that issued the ban is erased. */
  banned_by: string | null;
  created_at: Date;
  expires_at: Date | null;
}

/** A shareable invite link (max_uses 0 = unlimited; expires_at null = never). */
export interface InviteLinksTable {
  id: string;
  circle_id: string;
  code: string;
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  max_uses: number;
  use_count: number;
  require_approval: boolean;
  disabled: boolean;
  revoked_at: Date | null;
}

/** A request to join (status: RequestStatus). */
export interface JoinRequestsTable {
  id: string;
  circle_id: string;
  requester_id: string;
  message: string;
  invite_link_id: string | null;
  status: number;
  created_at: Date;
  decided_at: Date | null;
}

/** A post an OWNER or ADMIN hid in the circle (HidePost), while the hide stands. */
export interface HiddenPostsTable {
  circle_id: string;
  post_id: string;
  author_id: string;
  /** kith.circle.v1.HideReason. */
  reason: number;
  /** Shown to the author; plain text. */
  note: string;
  /** Null once the account that hid it is erased. */
  hidden_by: string | null;
  hidden_at: Date;
}

/** The hide aggregate's version (circle.post_hidden / post_unhidden); outlives an unhide. */
export interface PostHideVersionsTable {
  circle_id: string;
  post_id: string;
  version: string;
}

/** A purge of a deleted circle (GetStats' circles_purged): when, and nothing about the circle. */
export interface CirclePurgesTable {
  id: string;
  purged_at: Date;
}

/** Every table of the circle schema. */
export interface CircleDatabase {
  circles: CirclesTable;
  members: MembersTable;
  membership_versions: MembershipVersionsTable;
  audit_log: AuditLogTable;
  users: UsersTable;
  blocks: BlocksTable;
  invites: InvitesTable;
  bans: BansTable;
  invite_links: InviteLinksTable;
  join_requests: JoinRequestsTable;
  hidden_posts: HiddenPostsTable;
  post_hide_versions: PostHideVersionsTable;
  circle_purges: CirclePurgesTable;
}
