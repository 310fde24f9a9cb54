-- visibleProfile
select "user_id", "username", "display_name", "locked", "hide_follow_lists" from "user"."profiles" where "user_id" = $1 and ("user"."profiles"."deleted_at" is null and "user"."profiles"."deletion_scheduled_for" is null and "user"."profiles"."disabled_at" is null and "user"."profiles"."moderation_banned" = $2 and ("user"."profiles"."moderation_suspended" = $3 or ("user"."profiles"."moderation_suspended_until" is not null and "user"."profiles"."moderation_suspended_until" <= $4)));
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = false, $3 = false, $4 = 2026-12-03T12:00:00.000Z

-- isVisibleUser
select "user_id" from "user"."profiles" where "user_id" = $1 and ("user"."profiles"."deleted_at" is null and "user"."profiles"."deletion_scheduled_for" is null and "user"."profiles"."disabled_at" is null and "user"."profiles"."moderation_banned" = $2 and ("user"."profiles"."moderation_suspended" = $3 or ("user"."profiles"."moderation_suspended_until" is not null and "user"."profiles"."moderation_suspended_until" <= $4)));
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = false, $3 = false, $4 = 2026-12-03T12:00:00.000Z
