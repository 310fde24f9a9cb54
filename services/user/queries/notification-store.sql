-- insertNotifications
insert into "user"."notifications" ("id", "recipient_id", "type", "group_key", "group_started_at", "actor_id", "subject_kind", "subject_id", "within_circle_id", "preview", "filtered", "read", "source_event_id", "created_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) on conflict on constraint "notifications_source_unique" do nothing returning "id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = 7, $4 = "k", $5 = 2026-12-03T12:00:00.000Z, $6 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $7 = "postId", $8 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $9 = null, $10 = "", $11 = false, $12 = false, $13 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $14 = 2026-12-03T12:00:00.000Z

-- openGroup
select "group_key", "group_started_at" from "user"."notifications" where "recipient_id" = $1 and "type" = $2 and "subject_id" = $3 and "group_started_at" > $4 order by "group_started_at" desc limit $5;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 7, $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = 2026-12-03T12:00:00.000Z, $5 = 1

-- typeRecordedFor
select "type" from "user"."notifications" where "subject_id" = $1 and "type" in ($2, $3, $4) limit $5;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = 14, $3 = 19, $4 = 13, $5 = 1

-- deleteActorNotifications
delete from "user"."notifications" where "recipient_id" = $1 and "type" = $2 and "subject_id" = $3 and "actor_id" = $4;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 7, $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- listGroups
select "g"."group_key", "n"."type", "n"."subject_kind", "n"."subject_id", "n"."within_circle_id", "n"."preview", "n"."filtered", "g"."latest_id", "g"."latest_at", "g"."earliest_at", "g"."notification_count", "g"."actor_count", "g"."read" from (select "group_key", max("created_at") as "latest_at", min("created_at") as "earliest_at", (array_agg(id order by created_at desc, id desc))[1] as "latest_id", count(*)::int as "notification_count", count(distinct actor_id)::int as "actor_count", bool_and(read) as "read" from "user"."notifications" where "recipient_id" = $1 and "filtered" = $2 and "type" in ($3, $4) and "read" = $5 group by "group_key") as "g" inner join "user"."notifications" as "n" on "n"."id" = "g"."latest_id" where ("g"."latest_at", "g"."latest_id") > ($6, $7) order by "g"."latest_at" asc, "g"."latest_id" asc limit $8;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = false, $3 = 4, $4 = 7, $5 = false, $6 = 2026-12-03T12:00:00.000Z, $7 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $8 = 21

-- groupActors
select "user"."notifications"."group_key", "user"."profiles"."user_id" as "actor_id", "user"."profiles"."username", "user"."profiles"."display_name", max("user"."notifications"."created_at") as "last_at" from "user"."notifications" inner join "user"."profiles" on "user"."profiles"."user_id" = "user"."notifications"."actor_id" where "user"."notifications"."recipient_id" = $1 and "user"."notifications"."group_key" in ($2) and not exists (select "user"."blocks"."blocker_id" from "user"."blocks" where (("user"."blocks"."blocker_id" = $3 and "user"."blocks"."blocked_id" = "user"."notifications"."actor_id") or ("user"."blocks"."blocked_id" = $4 and "user"."blocks"."blocker_id" = "user"."notifications"."actor_id"))) group by "user"."notifications"."group_key", "user"."profiles"."user_id", "user"."profiles"."username", "user"."profiles"."display_name" order by "user"."notifications"."group_key", "last_at" desc;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "k", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- countUnread
select "filtered", count(*)::int as "count" from "user"."notifications" where "recipient_id" = $1 and "read" = $2 group by "filtered";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = false

-- markReadUpTo
select "created_at", "id" from "user"."notifications" where "recipient_id" = $1 and "id" = $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
update "user"."notifications" set "read" = $1 where "recipient_id" = $2 and "read" = $3 and (created_at, id) <= ($4, $5);
-- $1 = true, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = false, $4 = 2026-12-03T12:00:00.000Z, $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- markGroupsRead
update "user"."notifications" set "read" = $1 where "recipient_id" = $2 and "group_key" in ($3) and "read" = $4;
-- $1 = true, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "k", $4 = false

-- findPreferences
select * from "user"."notification_preferences" where "user_id" in ($1);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- preferencesOf
select * from "user"."notification_preferences" where "user_id" in ($1, $2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- lockPreferences
insert into "user"."notification_preferences" ("user_id", "quiet_start_minute", "quiet_end_minute") values ($1, $2, $3) on conflict ("user_id") do nothing;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = null, $3 = null
select * from "user"."notification_preferences" where "user_id" = $1 for update;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- savePreferences
update "user"."notification_preferences" set "per_type" = $1, "from_not_following" = $2, "from_not_followers" = $3, "from_new_accounts" = $4, "from_limited_accounts" = $5, "quiet_start_minute" = $6, "quiet_end_minute" = $7, "quiet_time_zone" = $8, "quiet_hours_enabled" = $9, "updated_at" = $10, "version" = "version" + $11 where "user_id" = $12 returning *;
-- $1 = {"7":{"in_app":true,"push":false,"email":false}}, $2 = 1, $3 = 1, $4 = 2, $5 = 2, $6 = 1320, $7 = 420, $8 = "Europe/Berlin", $9 = true, $10 = 2026-12-03T12:00:00.000Z, $11 = 1, $12 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- settingsTimeZone
select "time_zone" from "user"."settings" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- actorStanding
select exists (select "blocker_id" from "user"."blocks" where (("blocker_id" = $1 and "blocked_id" = $2) or ("blocker_id" = $3 and "blocked_id" = $4))) as "blocked", exists (select "muter_id" from "user"."mutes" where "muter_id" = $5 and "muted_id" = $6 and "include_notifications" = $7 and ("expires_at" is null or "expires_at" > $8)) as "muted", exists (select "follower_id" from "user"."follows" where "follower_id" = $9 and "followee_id" = $10) as "recipient_follows", exists (select "follower_id" from "user"."follows" where "follower_id" = $11 and "followee_id" = $12) as "actor_follows", (select "created_at" from "user"."profiles" where "user_id" = $13) as "sender_created_at", (select "moderation_limited" from "user"."profiles" where "user_id" = $14) as "sender_limited";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $6 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $7 = true, $8 = 2026-12-03T12:00:00.000Z, $9 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $10 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $11 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $12 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $13 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $14 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- usernamesOf
select "user_id", "username" from "user"."profiles" where "user_id" in ($1, $2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- contactEmailsOf
select "user_id", "email" from "user"."contacts" where "user_id" in ($1, $2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- upsertCircleQuietHours
insert into "user"."circle_quiet_hours" ("circle_id", "user_id", "start_minute", "end_minute", "time_zone", "enabled", "version") values ($1, $2, $3, $4, $5, $6, $7) on conflict ("user_id", "circle_id") do update set "start_minute" = "excluded"."start_minute", "end_minute" = "excluded"."end_minute", "time_zone" = "excluded"."time_zone", "enabled" = "excluded"."enabled", "version" = "excluded"."version" where "user"."circle_quiet_hours"."version" < "excluded"."version";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = 0, $4 = 0, $5 = "UTC", $6 = true, $7 = "2"

-- deleteCircleQuietHours
delete from "user"."circle_quiet_hours" where "user_id" = $1 and "circle_id" = $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- circleQuietHoursOf
select "start_minute", "end_minute", "time_zone" from "user"."circle_quiet_hours" where "user_id" = $1 and "circle_id" in ($2) and "enabled" = $3;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = true
