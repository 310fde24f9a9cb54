-- lockExportsOf
select pg_advisory_xact_lock(hashtextextended($1, 0));
-- $1 = "data-export:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- latestCountingExport
select * from "user"."data_exports" where "user_id" = $1 and "status" != $2 order by "requested_at" desc limit $3;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 5, $3 = 1

-- insertDataExport
insert into "user"."data_exports" ("id", "user_id", "status", "requested_at", "ready_at", "expires_at", "downloaded_at", "failed_at", "archive_key") values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning *;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = 1, $4 = 2026-12-03T12:00:00.000Z, $5 = null, $6 = null, $7 = null, $8 = null, $9 = null

-- exportOf
select * from "user"."data_exports" where "id" = $1 and "user_id" = $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- lockExport
select * from "user"."data_exports" where "id" = $1 for update;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60"

-- insertExportPart
insert into "user"."data_export_parts" ("data_export_id", "service", "user_id", "object_key", "sha256", "size_bytes", "received_at") values ($1, $2, $3, $4, $5, $6, $7) on conflict ("data_export_id", "service") do nothing returning "service";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60", $2 = 2, $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $4 = "exports/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60/user.zip", $5 = "0000000000000000000000000000000000000000000000000000000000000000", $6 = "10", $7 = 2026-12-03T12:00:00.000Z

-- partsOf
select * from "user"."data_export_parts" where "data_export_id" = $1 order by "service";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60"

-- markExportReady
update "user"."data_exports" set "status" = $1, "ready_at" = $2, "expires_at" = $3, "size_bytes" = $4, "archive_key" = $5 where "id" = $6;
-- $1 = 2, $2 = 2026-12-03T12:00:00.000Z, $3 = 2026-12-03T12:00:00.000Z, $4 = "10", $5 = "exports/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60/archive.zip", $6 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60"

-- moveExports
update "user"."data_exports" set "status" = $1, "downloaded_at" = $2 where "id" in ($3) and "status" = $4 returning *;
-- $1 = 3, $2 = 2026-12-03T12:00:00.000Z, $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60", $4 = 2

-- exportsDue
select * from "user"."data_exports" where "status" = $1 and "requested_at" <= $2 order by "requested_at" limit $3 for update skip locked;
-- $1 = 1, $2 = 2026-12-03T12:00:00.000Z, $3 = 100

-- deletionOf
select * from "user"."account_deletions" where "user_id" = $1 for update;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- insertDeletion
insert into "user"."account_deletions" ("user_id", "requested_at", "scheduled_for", "erasing_since", "erased_published_at", "last_published_at", "alerted_at") values ($1, $2, $3, $4, $5, $6, $7) on conflict ("user_id") do nothing;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 2026-12-03T12:00:00.000Z, $3 = 2026-12-03T12:00:00.000Z, $4 = null, $5 = null, $6 = null, $7 = null
select * from "user"."account_deletions" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- deleteGraceDeletion
delete from "user"."account_deletions" where "user_id" = $1 and "erasing_since" is null returning "user_id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- insertDeletionFeedback
insert into "user"."deletion_feedback" ("id", "reason", "received_on") values ($1, $2, $3);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60", $2 = "moving on", $3 = "2026-12-03"

-- deletionsToErase
select * from "user"."account_deletions" where "scheduled_for" <= $1 and "erased_published_at" is null order by "scheduled_for" limit $2 for update skip locked;
-- $1 = 2026-12-03T12:00:00.000Z, $2 = 20

-- erasuresToRepublish
select * from "user"."account_deletions" where "last_published_at" <= $1 order by "last_published_at" limit $2 for update skip locked;
-- $1 = 2026-12-03T12:00:00.000Z, $2 = 20

-- publishedErasures
select * from "user"."account_deletions" where "erased_published_at" is not null order by "erased_published_at" limit $1;
-- $1 = 100

-- markErasing
update "user"."account_deletions" set "erasing_since" = coalesce("erasing_since", $1) where "user_id" = $2;
-- $1 = 2026-12-03T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- markErasedPublished
update "user"."account_deletions" set "erased_published_at" = coalesce("erased_published_at", $1), "last_published_at" = $2 where "user_id" = $3;
-- $1 = 2026-12-03T12:00:00.000Z, $2 = 2026-12-03T12:00:00.000Z, $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- markErasureAlerted
update "user"."account_deletions" set "alerted_at" = $1 where "user_id" = $2;
-- $1 = 2026-12-03T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- insertErasureAck
insert into "user"."erasure_acks" ("user_id", "service", "acknowledged_at") values ($1, $2, $3) on conflict ("user_id", "service") do nothing;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 1, $3 = 2026-12-03T12:00:00.000Z

-- acknowledgedServices
select "service" from "user"."erasure_acks" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- deleteErasureSaga
delete from "user"."erasure_acks" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
delete from "user"."account_deletions" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
