-- upsertMute
insert into "user"."mutes" ("muter_id", "muted_id", "include_notifications", "expires_at", "created_at") values ($1, $2, $3, $4, $5) on conflict ("muter_id", "muted_id") do update set "include_notifications" = "excluded"."include_notifications", "expires_at" = "excluded"."expires_at", "created_at" = case when ("user"."mutes"."expires_at" is not null and "user"."mutes"."expires_at" <= $6) then "excluded"."created_at" else "user"."mutes"."created_at" end;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = true, $4 = null, $5 = 2026-12-03T12:00:00.000Z, $6 = 2026-12-03T12:00:00.000Z

-- deleteMute
delete from "user"."mutes" where "muter_id" = $1 and "muted_id" = $2 returning "muter_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- deleteExpiredMutes
select "muter_id", "muted_id" from "user"."mutes" where "expires_at" <= $1 order by "expires_at" limit $2 for update skip locked;
-- $1 = 2026-12-03T12:00:00.000Z, $2 = 200
delete from "user"."mutes" where ("muter_id" = $1 and "muted_id" = $2) and "expires_at" <= $3 returning "muter_id", "muted_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = 2026-12-03T12:00:00.000Z

-- mutesPage
select "user"."profiles"."user_id", "user"."profiles"."username", "user"."profiles"."display_name", "user"."profiles"."avatar_url", "user"."profiles"."locked", "user"."mutes"."created_at", "user"."mutes"."expires_at", "user"."mutes"."include_notifications" from "user"."mutes" inner join "user"."profiles" on "user"."profiles"."user_id" = "user"."mutes"."muted_id" where "user"."mutes"."muter_id" = $1 and ("user"."mutes"."expires_at" is null or "user"."mutes"."expires_at" > $2) and ("user"."profiles"."deleted_at" is null and "user"."profiles"."deletion_scheduled_for" is null and "user"."profiles"."disabled_at" is null and "user"."profiles"."moderation_banned" = $3 and ("user"."profiles"."moderation_suspended" = $4 or ("user"."profiles"."moderation_suspended_until" is not null and "user"."profiles"."moderation_suspended_until" <= $5))) order by "user"."mutes"."created_at" desc, "user"."mutes"."muted_id" desc limit $6;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 2026-12-03T12:00:00.000Z, $3 = false, $4 = false, $5 = 2026-12-03T12:00:00.000Z, $6 = 21
