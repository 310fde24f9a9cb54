import type { AppliedEdgeVersionsTable } from '@kith/db';
import type { ColumnType, Generated } from 'kysely';

/** Audience kinds as stored (kith.events.v1.PostAudience.Kind and post.v1 AudienceKind). */
export const AUDIENCE = { PUBLIC: 1, FOLLOWERS: 2, CIRCLES: 3, MENTIONED_ONLY: 4 } as const;
export type AudienceKind = (typeof AUDIENCE)[keyof typeof AUDIENCE];

/** A mention as stored in `posts.mentions`. */
export interface StoredMention {
  user_id: string;
  username: string;
}

export interface PostsTable {
  id: string;
  author_id: string;
  text: string;
  content_warning: string;
  sensitive: boolean;
  language: string;
  media_ids: ColumnType<string[], string[] | undefined, string[]>;
  /** AUDIENCE; a reply's is its parent's. */
  audience: number;
  /** The audience circles (CIRCLES only). */
  circle_ids: ColumnType<string[], string[] | undefined, string[]>;
  /**
   * Whose followers the audience is (FOLLOWERS), and who always reads the thread: the root
   * post's author. Equals author_id for a root post.
   */
  audience_owner_id: string;
  /**
   * The users the audience grants beside the followers or circles: the root post's mentions
   * when it was published (FOLLOWERS and MENTIONED_ONLY). Never grows.
   */
  granted_user_ids: ColumnType<string[], string[] | undefined, string[]>;
  /** jsonb: every mention in the current text, resolved when it was written. */
  mentions: ColumnType<StoredMention[], string | undefined, string>;
  hashtags: ColumnType<string[], string[] | undefined, string[]>;
  reply_to_post_id: string | null;
  root_post_id: string;
  quote_post_id: string | null;
  /** Replies below the root: 0 for a root post. */
  depth: number;
  reply_count: Generated<number>;
  like_count: Generated<number>;
  repost_count: Generated<number>;
  quote_count: Generated<number>;
  revision: Generated<number>;
  /** bigint: pg hands it back as a string. Moves with every change, counts included. */
  version: Generated<string>;
  /** ModerationState of the post itself as the author sees it (1 NONE; LIMITED is the author's). */
  moderation_state: Generated<number>;
  /** The enforcement version of the post as a moderation subject (bigint: a string). */
  moderation_version: Generated<string>;
  created_at: Date;
  edited_at: Date | null;
  expires_at: Date | null;
  deleted_at: Date | null;
  /** kith.events.v1.PostDeletionReason, set with deleted_at. */
  deletion_reason: number | null;
  /** Full-text search vector (generated from text, content warning and language). */
  search: Generated<string>;
}

export interface PostRevisionsTable {
  post_id: string;
  revision: number;
  text: string;
  content_warning: string;
  sensitive: boolean;
  language: string;
  media_ids: ColumnType<string[], string[] | undefined, string[]>;
  audience: number;
  circle_ids: ColumnType<string[], string[] | undefined, string[]>;
  created_at: Date;
}

export interface LikesTable {
  post_id: string;
  user_id: string;
  created_at: Date;
}

export interface BookmarksTable {
  user_id: string;
  post_id: string;
  created_at: Date;
}

export interface RepostsTable {
  /** UUIDv7: the repost's place in timelines. */
  id: string;
  post_id: string;
  user_id: string;
  created_at: Date;
}

/** Projection of user.profile_updated and user.settings_updated (each by its own version). */
export interface UsersTable {
  user_id: string;
  username: string;
  display_name: string;
  avatar_url: string;
  locked: boolean;
  /** Settings.indexable: public posts appear in others' search. */
  indexable: Generated<boolean>;
  /** kith.user.v1.MentionPolicy. */
  mention_policy: Generated<number>;
  profile_version: Generated<string>;
  settings_version: Generated<string>;
  /** Moderation of the account (moderation.account_actioned), by enforcement_version. */
  limited: Generated<boolean>;
  suspended: Generated<boolean>;
  suspended_until: Date | null;
  banned: Generated<boolean>;
  enforcement_version: Generated<string>;
  /** More followers than the fan-out threshold: merged into home timelines when read. */
  wide_reach: Generated<boolean>;
}

/** Projections of the social graph, by edge (versions in applied_edge_versions). */
export interface FollowsTable {
  follower_id: string;
  followee_id: string;
}

export interface BlocksTable {
  blocker_id: string;
  blocked_id: string;
}

export interface MutesTable {
  muter_id: string;
  muted_id: string;
  /** Null: until unmuted. */
  expires_at: Date | null;
}

/** Projection of circle.deleted / restored / purged by the circle's version. */
export interface CirclesTable {
  circle_id: string;
  deleted: boolean;
  version: string;
}

/** Projection of circle memberships by the membership's version; role 0 once gone. */
export interface CircleMembersTable {
  circle_id: string;
  user_id: string;
  role: number;
  version: string;
}

/** Projection of circle.post_hidden / post_unhidden by version. */
export interface CircleHidesTable {
  circle_id: string;
  post_id: string;
  active: boolean;
  reason: number;
  note: string;
  hidden_at: Date;
  version: string;
}

/** kith.post.v1.MediaStatus as stored. */
export const MEDIA_STATUS = { PENDING_UPLOAD: 1, PROCESSING: 2, READY: 3, FAILED: 4 } as const;

/** One upload, from its upload URL to READY or FAILED (media/, ADR 0019). */
export interface MediaTable {
  id: string;
  /** Who uploaded it. */
  owner_id: string;
  /** kith.post.v1.MediaKind. */
  kind: number;
  /** MEDIA_STATUS. */
  status: number;
  /** What CreateUploadUrl was told; the bytes are checked against it. */
  declared_content_type: string;
  declared_size: number;
  /** Base64 SHA-256 the client declared; empty when none. */
  declared_sha256: string;
  /** Where the bytes are uploaded to; deleted once processed. */
  upload_key: string;
  upload_expires_at: Date;
  /** Of the served file (READY): detected and re-encoded, never the client's word. */
  content_type: Generated<string>;
  size_bytes: Generated<number>;
  width: Generated<number>;
  height: Generated<number>;
  object_key: Generated<string>;
  thumbnail_key: Generated<string>;
  blurhash: Generated<string>;
  /** Base64 SHA-256 of the bytes as uploaded (the events' PostMedia.sha256). */
  sha256: Generated<string>;
  alt_text: Generated<string>;
  /** FocalPoint; null = the centre. */
  focus_x: number | null;
  focus_y: number | null;
  failure_reason: Generated<string>;
  created_at: Date;
  /** When a post or a hold last let go of it: the purge waits 24 h from the later of the two. */
  released_at: Date | null;
  /** Video and audio (READY): the served file's length. */
  duration_ms: Generated<number>;
  /** GIF, video, audio PROCESSING: a transcoding worker holds it until then (ADR 0022). */
  leased_until: Generated<Date | null>;
  /** How many times a transcoding worker took it. */
  attempts: Generated<number>;
}

/** A hold placed by AttachMedia (kith.post.v1.MediaAttachmentKind): the purge spares it. */
export interface MediaHoldsTable {
  media_id: string;
  kind: number;
  ref_id: string;
  created_at: Date;
}

export type PostDatabase = {
  posts: PostsTable;
  post_revisions: PostRevisionsTable;
  likes: LikesTable;
  bookmarks: BookmarksTable;
  reposts: RepostsTable;
  users: UsersTable;
  follows: FollowsTable;
  blocks: BlocksTable;
  mutes: MutesTable;
  circles: CirclesTable;
  circle_members: CircleMembersTable;
  circle_hides: CircleHidesTable;
  media: MediaTable;
  media_holds: MediaHoldsTable;
} & AppliedEdgeVersionsTable;
