-- enqueuePushes
insert into "user"."push_jobs" ("id", "notification_id", "recipient_id", "notification_type", "title", "body") values ($1, $2, $3, $4, $5, $6);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $4 = 1, $5 = "Ann followed you", $6 = ""
