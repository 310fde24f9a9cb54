-- insertFollow
insert into "user"."follows" ("follower_id", "followee_id", "created_at") values ($1, $2, $3) on conflict ("follower_id", "followee_id") do nothing returning "follower_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = 2026-12-03T12:00:00.000Z
insert into "user"."follow_counts" ("user_id", "followers_count", "following_count") values ($1, $2, $3), ($4, $5, $6) on conflict ("user_id") do update set "followers_count" = greatest(follow_counts."followers_count" + case when follow_counts.user_id = $7 then $8 else 0 end, 0), "following_count" = greatest(follow_counts."following_count" + case when follow_counts.user_id = $9 then $10 else 0 end, 0);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 0, $3 = 1, $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $5 = 1, $6 = 0, $7 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $8 = 1, $9 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $10 = 1

-- deleteFollow
delete from "user"."follows" where "follower_id" = $1 and "followee_id" = $2 returning "follower_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
insert into "user"."follow_counts" ("user_id", "followers_count", "following_count") values ($1, $2, $3), ($4, $5, $6) on conflict ("user_id") do update set "followers_count" = greatest(follow_counts."followers_count" + case when follow_counts.user_id = $7 then $8 else 0 end, 0), "following_count" = greatest(follow_counts."following_count" + case when follow_counts.user_id = $9 then $10 else 0 end, 0);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 0, $3 = 0, $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $5 = 0, $6 = 0, $7 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $8 = -1, $9 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $10 = -1

-- insertFollowRequest
insert into "user"."follow_requests" ("requester_id", "target_id", "created_at") values ($1, $2, $3) on conflict ("requester_id", "target_id") do nothing returning "requester_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = 2026-12-03T12:00:00.000Z

-- deleteFollowRequest
delete from "user"."follow_requests" where "requester_id" = $1 and "target_id" = $2 returning "requester_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- followListPage
select "user"."profiles"."user_id", "user"."profiles"."username", "user"."profiles"."display_name", "user"."profiles"."avatar_url", "user"."profiles"."locked", "user"."follows"."created_at" from "user"."follows" inner join "user"."profiles" on "user"."profiles"."user_id" = "user"."follows"."follower_id" where "user"."follows"."followee_id" = $1 and ("user"."profiles"."deleted_at" is null and "user"."profiles"."deletion_scheduled_for" is null and "user"."profiles"."disabled_at" is null and "user"."profiles"."moderation_banned" = $2 and ("user"."profiles"."moderation_suspended" = $3 or ("user"."profiles"."moderation_suspended_until" is not null and "user"."profiles"."moderation_suspended_until" <= $4))) and not exists (select "user"."blocks"."blocker_id" from "user"."blocks" where (("user"."blocks"."blocker_id" = $5 and "user"."blocks"."blocked_id" = "user"."follows"."follower_id") or ("user"."blocks"."blocked_id" = $6 and "user"."blocks"."blocker_id" = "user"."follows"."follower_id"))) order by "user"."follows"."created_at" desc, "user"."follows"."follower_id" desc limit $7;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = false, $3 = false, $4 = 2026-12-03T12:00:00.000Z, $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $6 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $7 = 21

-- followRequestsPage
select "user"."profiles"."user_id", "user"."profiles"."username", "user"."profiles"."display_name", "user"."profiles"."avatar_url", "user"."profiles"."locked", "user"."follow_requests"."created_at" from "user"."follow_requests" inner join "user"."profiles" on "user"."profiles"."user_id" = "user"."follow_requests"."requester_id" where "user"."follow_requests"."target_id" = $1 and ("user"."profiles"."deleted_at" is null and "user"."profiles"."deletion_scheduled_for" is null and "user"."profiles"."disabled_at" is null and "user"."profiles"."moderation_banned" = $2 and ("user"."profiles"."moderation_suspended" = $3 or ("user"."profiles"."moderation_suspended_until" is not null and "user"."profiles"."moderation_suspended_until" <= $4))) order by "user"."follow_requests"."created_at" asc, "user"."follow_requests"."requester_id" asc limit $5;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = false, $3 = false, $4 = 2026-12-03T12:00:00.000Z, $5 = 21

-- deleteFollowsBetween
delete from "user"."follows" where (("follower_id" = $1 and "followee_id" = $2) or ("follower_id" = $3 and "followee_id" = $4)) returning "follower_id", "followee_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
insert into "user"."follow_counts" ("user_id", "followers_count", "following_count") values ($1, $2, $3), ($4, $5, $6) on conflict ("user_id") do update set "followers_count" = greatest(follow_counts."followers_count" + case when follow_counts.user_id = $7 then $8 else 0 end, 0), "following_count" = greatest(follow_counts."following_count" + case when follow_counts.user_id = $9 then $10 else 0 end, 0);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 0, $3 = 0, $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $5 = 0, $6 = 0, $7 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $8 = -1, $9 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $10 = -1

-- deleteFollowRequestsBetween
delete from "user"."follow_requests" where (("requester_id" = $1 and "target_id" = $2) or ("requester_id" = $3 and "target_id" = $4)) returning "requester_id", "target_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- pendingRequesterIds
select "requester_id" from "user"."follow_requests" where "target_id" = $1 order by "requester_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
