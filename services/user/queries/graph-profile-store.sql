-- visibleProfile
select "user_id", "username", "display_name", "locked", "hide_follow_lists" from "user"."profiles" where "user_id" = $1 and ("user"."profiles"."deleted_at" is null and "user"."profiles"."deletion_scheduled_for" is null);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- isVisibleUser
select "user_id" from "user"."profiles" where "user_id" = $1 and ("user"."profiles"."deleted_at" is null and "user"."profiles"."deletion_scheduled_for" is null);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- visibleAmong
select "user_id" from "user"."profiles" where "user_id" in ($1) and ("user"."profiles"."deleted_at" is null and "user"."profiles"."deletion_scheduled_for" is null);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
