-- blockedEitherWay
select "blocker_id" from "user"."blocks" where (("blocker_id" = $1 and "blocked_id" = $2) or ("blocker_id" = $3 and "blocked_id" = $4)) limit $5;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $5 = 1

-- mutesNotificationsOf
select "muter_id" from "user"."mutes" where "muter_id" = $1 and "muted_id" = $2 and "include_notifications" = $3 and ("expires_at" is null or "expires_at" > $4);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = true, $4 = 2026-12-03T12:00:00.000Z

-- relationshipsOf
select "asked"."id", exists (select "user"."follows"."follower_id" from "user"."follows" where "user"."follows"."follower_id" = $1 and "user"."follows"."followee_id" = "asked"."id") as "following", exists (select "user"."follows"."follower_id" from "user"."follows" where "user"."follows"."follower_id" = "asked"."id" and "user"."follows"."followee_id" = $2) as "followed_by", exists (select "user"."follow_requests"."requester_id" from "user"."follow_requests" where "user"."follow_requests"."requester_id" = $3 and "user"."follow_requests"."target_id" = "asked"."id") as "follow_requested", exists (select "user"."follow_requests"."requester_id" from "user"."follow_requests" where "user"."follow_requests"."requester_id" = "asked"."id" and "user"."follow_requests"."target_id" = $4) as "follow_request_received", exists (select "user"."blocks"."blocker_id" from "user"."blocks" where "user"."blocks"."blocker_id" = $5 and "user"."blocks"."blocked_id" = "asked"."id") as "blocking", exists (select "user"."blocks"."blocker_id" from "user"."blocks" where "user"."blocks"."blocker_id" = "asked"."id" and "user"."blocks"."blocked_id" = $6) as "blocked_by", "user"."mutes"."include_notifications", "user"."mutes"."expires_at" from unnest($7::uuid[]) with ordinality as asked(id, ord) left join "user"."mutes" on "user"."mutes"."muter_id" = $8 and "user"."mutes"."muted_id" = "asked"."id" and ("user"."mutes"."expires_at" is null or "user"."mutes"."expires_at" > $9) order by "asked"."ord";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $6 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $7 = ["0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"], $8 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $9 = 2026-12-03T12:00:00.000Z

-- relationshipsAndVisibilityOf
select "asked"."id", exists (select "user"."follows"."follower_id" from "user"."follows" where "user"."follows"."follower_id" = $1 and "user"."follows"."followee_id" = "asked"."id") as "following", exists (select "user"."follows"."follower_id" from "user"."follows" where "user"."follows"."follower_id" = "asked"."id" and "user"."follows"."followee_id" = $2) as "followed_by", exists (select "user"."follow_requests"."requester_id" from "user"."follow_requests" where "user"."follow_requests"."requester_id" = $3 and "user"."follow_requests"."target_id" = "asked"."id") as "follow_requested", exists (select "user"."follow_requests"."requester_id" from "user"."follow_requests" where "user"."follow_requests"."requester_id" = "asked"."id" and "user"."follow_requests"."target_id" = $4) as "follow_request_received", exists (select "user"."blocks"."blocker_id" from "user"."blocks" where "user"."blocks"."blocker_id" = $5 and "user"."blocks"."blocked_id" = "asked"."id") as "blocking", exists (select "user"."blocks"."blocker_id" from "user"."blocks" where "user"."blocks"."blocker_id" = "asked"."id" and "user"."blocks"."blocked_id" = $6) as "blocked_by", "user"."mutes"."include_notifications", "user"."mutes"."expires_at", exists (select "user"."profiles"."user_id" from "user"."profiles" where "user"."profiles"."user_id" = "asked"."id" and ("user"."profiles"."deleted_at" is null and "user"."profiles"."deletion_scheduled_for" is null and "user"."profiles"."disabled_at" is null and "user"."profiles"."moderation_banned" = $7 and ("user"."profiles"."moderation_suspended" = $8 or ("user"."profiles"."moderation_suspended_until" is not null and "user"."profiles"."moderation_suspended_until" <= $9)))) as "shown" from unnest($10::uuid[]) with ordinality as asked(id, ord) left join "user"."mutes" on "user"."mutes"."muter_id" = $11 and "user"."mutes"."muted_id" = "asked"."id" and ("user"."mutes"."expires_at" is null or "user"."mutes"."expires_at" > $12) order by "asked"."ord";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $6 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $7 = false, $8 = false, $9 = 2026-12-03T12:00:00.000Z, $10 = ["0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"], $11 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $12 = 2026-12-03T12:00:00.000Z

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
