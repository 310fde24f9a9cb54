-- insertProfile
insert into "user"."profiles" ("user_id", "username", "display_name", "locale", "deleted_at", "username_trigrams", "name_trigrams") values ($1, $2, $3, $4, $5, $6, $7);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "ann", $3 = "ann", $4 = "en", $5 = null, $6 = ["  a"," an","ann","nn "], $7 = ["  a"," an","ann","nn "]

-- deleteProfile
delete from "user"."profiles" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- setDeletionScheduled
update "user"."profiles" set "deletion_scheduled_for" = $1, "deletion_requested_at" = now() where "user_id" = $2;
-- $1 = 2026-12-31T00:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- findProfile
select "user_id", "username", "display_name", "bio", "avatar_media_id", "avatar_url", "links", "locked", "hide_follow_lists", "version", "created_at", "deleted_at", "deletion_scheduled_for", "deletion_requested_at", "disabled_at", "moderation_suspended", "moderation_suspended_until", "moderation_banned" from "user"."profiles" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- findProfileIdByUsername
select "user_id" from "user"."profiles" where lower(username) = $1;
-- $1 = "ann"

-- findProfiles
select "user_id", "username", "display_name", "bio", "avatar_media_id", "avatar_url", "links", "locked", "hide_follow_lists", "version", "created_at", "deleted_at", "deletion_scheduled_for", "deletion_requested_at", "disabled_at", "moderation_suspended", "moderation_suspended_until", "moderation_banned" from "user"."profiles" where "user_id" in ($1, $2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- lockProfile
select "user_id", "username", "display_name", "bio", "avatar_media_id", "avatar_url", "links", "locked", "hide_follow_lists", "version", "created_at", "deleted_at", "deletion_scheduled_for", "deletion_requested_at", "disabled_at", "moderation_suspended", "moderation_suspended_until", "moderation_banned" from "user"."profiles" where "user_id" = $1 for update;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- updateProfileFields
update "user"."profiles" set "display_name" = $1, "name_trigrams" = $2, "bio" = $3, "avatar_media_id" = $4, "avatar_url" = $5, "links" = $6, "locked" = $7, "hide_follow_lists" = $8, "version" = version + 1, "updated_at" = $9 where "user_id" = $10 returning "user_id", "username", "display_name", "bio", "avatar_media_id", "avatar_url", "links", "locked", "hide_follow_lists", "version", "created_at", "deleted_at", "deletion_scheduled_for", "deletion_requested_at", "disabled_at", "moderation_suspended", "moderation_suspended_until", "moderation_banned";
-- $1 = "Ann B", $2 = ["  a","  b"," an"," b ","ann","nn "], $3 = "hi", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $5 = "https://cdn.test/a.png", $6 = "[{\"label\":\"site\",\"url\":\"https://ann.test\"}]", $7 = true, $8 = true, $9 = 2026-12-03T12:00:00.000Z, $10 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- setProfileDisabled
update "user"."profiles" set "disabled_at" = $1 where "user_id" = $2;
-- $1 = 2026-12-03T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- applyAccountEnforcement
update "user"."profiles" set "moderation_version" = $1, "moderation_limited" = $2, "moderation_suspended" = $3, "moderation_suspended_until" = $4, "moderation_banned" = $5 where "user_id" = $6 and "moderation_version" < $7;
-- $1 = "2", $2 = false, $3 = true, $4 = 2026-12-03T12:00:00.000Z, $5 = false, $6 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $7 = "2"

-- blockersOf
select "blocker_id" from "user"."blocks" where "blocked_id" = $1 and "blocker_id" in ($2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- deleteContact
delete from "user"."contacts" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- upsertContactEmail
insert into "user"."contacts" ("user_id", "email", "updated_at") values ($1, $2, $3) on conflict ("user_id") do update set "email" = $4, "updated_at" = $5;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "ann@example.test", $3 = 2026-12-03T12:00:00.000Z, $4 = "ann@example.test", $5 = 2026-12-03T12:00:00.000Z
