-- insertProfile
insert into "user"."profiles" ("user_id", "username", "display_name", "locale", "deleted_at") values ($1, $2, $3, $4, $5);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "ann", $3 = "ann", $4 = "en", $5 = null

-- deleteProfile
delete from "user"."profiles" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- setDeletionScheduled
update "user"."profiles" set "deletion_scheduled_for" = $1 where "user_id" = $2;
-- $1 = 2026-12-31T00:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
