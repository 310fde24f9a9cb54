-- audit
insert into "auth"."audit_events" ("id", "type", "account_id", "actor_id", "session_id", "ip", "user_agent", "request_id", "details", "occurred_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);
-- $1 = "<new uuidv7>", $2 = "account_disabled", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $5 = null, $6 = "192.0.2.7", $7 = "kith-test", $8 = "req-1", $9 = {"reason":"spam"}, $10 = 2026-06-01T12:00:00.000Z

-- auditEventsPage
select * from "auth"."audit_events" where "account_id" = $1 and "type" in ($2, $3) and "ip" = $4 and "occurred_at" >= $5 and "occurred_at" < $6 order by "occurred_at" desc, "id" desc limit $7;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "login_failed", $3 = "logout", $4 = "192.0.2.7", $5 = 2026-06-01T12:00:00.000Z, $6 = 2026-06-01T12:00:00.000Z, $7 = 21

-- auditEventsPageUnfiltered
select * from "auth"."audit_events" order by "occurred_at" desc, "id" desc limit $1;
-- $1 = 21
