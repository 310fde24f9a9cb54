-- insertBlock
insert into "user"."blocks" ("blocker_id", "blocked_id", "created_at") values ($1, $2, $3) on conflict ("blocker_id", "blocked_id") do nothing returning "blocker_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = 2026-12-03T12:00:00.000Z

-- deleteBlock
delete from "user"."blocks" where "blocker_id" = $1 and "blocked_id" = $2 returning "blocker_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- blocksPage
select "user"."profiles"."user_id", "user"."profiles"."username", "user"."profiles"."display_name", "user"."profiles"."avatar_url", "user"."profiles"."locked", "user"."blocks"."created_at" from "user"."blocks" inner join "user"."profiles" on "user"."profiles"."user_id" = "user"."blocks"."blocked_id" where "user"."blocks"."blocker_id" = $1 and ("user"."profiles"."deleted_at" is null and "user"."profiles"."deletion_scheduled_for" is null and "user"."profiles"."disabled_at" is null and "user"."profiles"."moderation_banned" = $2 and ("user"."profiles"."moderation_suspended" = $3 or ("user"."profiles"."moderation_suspended_until" is not null and "user"."profiles"."moderation_suspended_until" <= $4))) order by "user"."blocks"."created_at" desc, "user"."blocks"."blocked_id" desc limit $5;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = false, $3 = false, $4 = 2026-12-03T12:00:00.000Z, $5 = 21
