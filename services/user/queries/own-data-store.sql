-- ownProfile
select "user_id", "username", "display_name", "bio", "locale", "created_at", "updated_at", "deletion_scheduled_for" from "user"."profiles" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- ownSettings
select "locale", "time_zone", "discoverable", "default_audience", "show_sensitive_media", "mention_policy", "content_languages", "indexable", "updated_at" from "user"."settings" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- ownContact
select "email", "updated_at" from "user"."contacts" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- ownFollowing
select "followee_id" as "user_id", "created_at" from "user"."follows" where "follower_id" = $1 order by "created_at";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- ownFollowers
select "follower_id" as "user_id", "created_at" from "user"."follows" where "followee_id" = $1 order by "created_at";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- ownFollowRequests
select "target_id" as "user_id", "created_at" from "user"."follow_requests" where "requester_id" = $1 order by "created_at";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
select "requester_id" as "user_id", "created_at" from "user"."follow_requests" where "target_id" = $1 order by "created_at";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- ownBlocks
select "blocked_id" as "user_id", "created_at" from "user"."blocks" where "blocker_id" = $1 order by "created_at";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- ownMutes
select "muted_id" as "user_id", "include_notifications", "expires_at", "created_at" from "user"."mutes" where "muter_id" = $1 order by "created_at";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- ownDataExports
select "id", "status", "requested_at", "ready_at", "downloaded_at", "archive_key" from "user"."data_exports" where "user_id" = $1 order by "requested_at";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
