-- findRefreshTokenForUpdate
select * from "auth"."refresh_tokens" where "token_hash" = $1 for update;
-- $1 = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

-- lockSession
select * from "auth"."sessions" where "id" = $1 for update;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- markRefreshTokenUsed
update "auth"."refresh_tokens" set "used_at" = $1 where "id" = $2;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- touchSession
update "auth"."sessions" set "last_used_at" = $1, "ip" = $2, "user_agent" = $3 where "id" = $4;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "192.0.2.7", $3 = "kith-test", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- ownsSession
select "id" from "auth"."sessions" where "id" = $1 and "account_id" = $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- liveSessionsPage
select * from "auth"."sessions" where "account_id" = $1 and "revoked_at" is null and "expires_at" > $2 and "last_used_at" > $3 order by "created_at" desc, "id" desc limit $4;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 2026-06-01T12:00:00.000Z, $3 = 2026-05-02T12:00:00.000Z, $4 = 21
