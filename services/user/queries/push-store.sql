-- deviceByToken
select * from "user"."push_devices" where "platform" = $1 and "token" = $2 for update;
-- $1 = 2, $2 = "fcm-token"

-- insertDevice
insert into "user"."push_devices" ("id", "user_id", "session_id", "platform", "token", "web_push_p256dh", "web_push_auth", "apns_environment", "app_id", "device_label", "created_at", "last_seen_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = 2, $5 = "fcm-token", $6 = null, $7 = null, $8 = null, $9 = null, $10 = "phone", $11 = 2026-12-03T12:00:00.000Z, $12 = 2026-12-03T12:00:00.000Z

-- refreshDevice
update "user"."push_devices" set "session_id" = $1, "web_push_p256dh" = $2, "web_push_auth" = $3, "apns_environment" = $4, "app_id" = $5, "device_label" = $6, "last_seen_at" = $7 where "id" = $8 returning *;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = null, $3 = null, $4 = null, $5 = null, $6 = "phone", $7 = 2026-12-03T12:00:00.000Z, $8 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- deleteDevice
delete from "user"."push_devices" where "id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- deleteDeviceOfUser
delete from "user"."push_devices" where "id" = $1 and "user_id" = $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- deleteDevicesOfSession
delete from "user"."push_devices" where "user_id" = $1 and "session_id" = $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- deleteDevicesOfUser
delete from "user"."push_devices" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- deleteDevicesBeyond
delete from "user"."push_devices" where "user_id" = $1 and "id" not in (select "id" from "user"."push_devices" where "user_id" = $2 order by "last_seen_at" desc, "id" desc limit $3);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = 20

-- devicesPage
select * from "user"."push_devices" where "user_id" = $1 and ("last_seen_at", "id") < ($2, $3) order by "last_seen_at" desc, "id" desc limit $4;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 2026-12-03T12:00:00.000Z, $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = 21

-- deviceIdsOfUsers
select "id", "user_id" from "user"."push_devices" where "user_id" in ($1, $2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- claimPendingJobs
select "id", "recipient_id" from "user"."push_jobs" where not exists (select "job_id" from "user"."push_fanouts" where "user"."push_fanouts"."job_id" = "user"."push_jobs"."id") order by "created_at", "id" limit $1 for update skip locked;
-- $1 = 100

-- markJobsFannedOut
insert into "user"."push_fanouts" ("job_id", "fanned_out_at") values ($1, $2) on conflict ("job_id") do nothing;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = 2026-12-03T12:00:00.000Z

-- pruneFannedOutJobs
delete from "user"."push_jobs" where "id" in (select "job_id" from "user"."push_fanouts" where "fanned_out_at" < $1 order by "fanned_out_at" limit $2);
-- $1 = 2026-12-03T12:00:00.000Z, $2 = 1000

-- pushedNotificationsOf
select "notification_id", "notification_type", "data" from "user"."push_jobs" where "recipient_id" = $1 and "notification_id" in ($2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- insertDeliveries
insert into "user"."push_deliveries" ("id", "job_id", "device_id", "next_attempt_at", "created_at") values ($1, $2, $3, $4, $5) on conflict ("job_id", "device_id") do nothing;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = 2026-12-03T12:00:00.000Z, $5 = 2026-12-03T12:00:00.000Z

-- claimDueDeliveries
select "id" from "user"."push_deliveries" where "next_attempt_at" <= $1 order by "next_attempt_at", "id" limit $2 for update skip locked;
-- $1 = 2026-12-03T12:00:00.000Z, $2 = 50

-- leaseDeliveries
update "user"."push_deliveries" set "next_attempt_at" = $1, "attempts" = "attempts" + $2 where "id" in ($3);
-- $1 = 2026-12-03T12:00:00.000Z, $2 = 1, $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- deliveriesToSend
select "d"."id" as "delivery_id", "d"."attempts", "d"."created_at" as "delivery_created_at", "j"."id" as "job_id", "j"."notification_id", "j"."recipient_id", "j"."notification_type", "j"."title", "j"."body", "j"."data", "j"."critical", "j"."time_sensitive", "j"."created_at" as "job_created_at", "v"."id" as "device_id", "v"."platform", "v"."token", "v"."web_push_p256dh", "v"."web_push_auth", "v"."apns_environment", "v"."app_id" from "user"."push_deliveries" as "d" inner join "user"."push_jobs" as "j" on "j"."id" = "d"."job_id" inner join "user"."push_devices" as "v" on "v"."id" = "d"."device_id" where "d"."id" in ($1);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- deleteDelivery
delete from "user"."push_deliveries" where "id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- rescheduleDelivery
update "user"."push_deliveries" set "next_attempt_at" = $1, "last_error" = $2 where "id" = $3;
-- $1 = 2026-12-03T12:00:00.000Z, $2 = "FCM 503", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- insertDeadLetter
insert into "user"."push_dead_letters" ("id", "job_id", "notification_id", "recipient_id", "device_id", "platform", "attempts", "last_error", "created_at", "dead_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $6 = 2, $7 = 6, $8 = "FCM 503", $9 = 2026-12-03T12:00:00.000Z, $10 = 2026-12-03T12:00:00.000Z
