-- insertSettings
insert into "user"."settings" ("user_id", "locale") values ($1, $2) returning *;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "en"

-- deleteSettings
delete from "user"."settings" where "user_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- findSettings
select * from "user"."settings" where "user_id" = $1 for update;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- updateSettings
update "user"."settings" set "locale" = $1, "time_zone" = $2, "discoverable" = $3, "default_audience" = $4, "show_sensitive_media" = $5, "mention_policy" = $6, "content_languages" = $7, "indexable" = $8, "version" = version + 1, "updated_at" = $9 where "user_id" = $10 returning *;
-- $1 = "de", $2 = "Europe/Berlin", $3 = false, $4 = 2, $5 = true, $6 = 2, $7 = ["de"], $8 = true, $9 = 2026-12-03T12:00:00.000Z, $10 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
