-- blockedEitherWay
select "blocker_id" from "user"."blocks" where (("blocker_id" = $1 and "blocked_id" = $2) or ("blocker_id" = $3 and "blocked_id" = $4)) limit $5;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $5 = 1

-- blockedAmong
select "blocker_id", "blocked_id" from "user"."blocks" where (("blocker_id" = $1 and "blocked_id" in ($2)) or ("blocked_id" = $3 and "blocker_id" in ($4)));
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- mutesNotificationsOf
select "muter_id" from "user"."mutes" where "muter_id" = $1 and "muted_id" = $2 and "include_notifications" = $3 and ("expires_at" is null or "expires_at" > $4);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = true, $4 = 2026-12-03T12:00:00.000Z

-- relationshipsOf
select "followee_id" as "id" from "user"."follows" where "follower_id" = $1 and "followee_id" in ($2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
select "follower_id" as "id" from "user"."follows" where "followee_id" = $1 and "follower_id" in ($2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
select "target_id" as "id" from "user"."follow_requests" where "requester_id" = $1 and "target_id" in ($2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
select "requester_id" as "id" from "user"."follow_requests" where "target_id" = $1 and "requester_id" in ($2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
select "blocked_id" as "id" from "user"."blocks" where "blocker_id" = $1 and "blocked_id" in ($2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
select "blocker_id" as "id" from "user"."blocks" where "blocked_id" = $1 and "blocker_id" in ($2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
select "muted_id" as "id", "include_notifications", "expires_at" from "user"."mutes" where "muter_id" = $1 and "muted_id" in ($2) and ("expires_at" is null or "expires_at" > $3);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = 2026-12-03T12:00:00.000Z

-- followCounts
select "user_id", "followers_count", "following_count" from "user"."follow_counts" where "user_id" in ($1);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- isFollowing
select "follower_id" from "user"."follows" where "follower_id" = $1 and "followee_id" = $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- nextEdgeVersion
insert into "user"."edge_versions" ("kind", "from_id", "to_id", "version") values ($1, $2, $3, $4) on conflict ("kind", "from_id", "to_id") do update set "version" = edge_versions.version + 1 returning "version";
-- $1 = "follow", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = "1"

-- lockPair
select pg_advisory_xact_lock(hashtextextended($1, 0));
-- $1 = "graph:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
