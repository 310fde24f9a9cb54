-- insertRefreshToken
insert into "auth"."refresh_tokens" ("id", "session_id", "token_hash", "created_at", "used_at") values ($1, $2, $3, $4, $5);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd", $4 = 2026-06-01T12:00:00.000Z, $5 = null

-- restartSessionAuth
update "auth"."sessions" set "auth_time" = $1, "last_used_at" = $2, "ip" = $3, "user_agent" = $4 where "id" = $5 and "account_id" = $6 and "revoked_at" is null and "expires_at" > $7 returning *;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = 2026-06-01T12:00:00.000Z, $3 = "192.0.2.7", $4 = "kith-test", $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $6 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $7 = 2026-06-01T12:00:00.000Z

-- deleteUnusedRefreshTokens
delete from "auth"."refresh_tokens" where "session_id" = $1 and "used_at" is null;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- insertSession
insert into "auth"."sessions" ("id", "account_id", "created_at", "last_used_at", "expires_at", "auth_time", "ip", "user_agent", "device_label", "device_hash", "revoked_at", "revoked_reason") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = 2026-06-01T12:00:00.000Z, $4 = 2026-06-01T12:00:00.000Z, $5 = 2026-06-01T12:00:00.000Z, $6 = 2026-06-01T12:00:00.000Z, $7 = "192.0.2.7", $8 = "kith-test", $9 = "laptop", $10 = "abababababababababababababababab", $11 = null, $12 = null

-- recordLogin
update "auth"."accounts" set "last_login_at" = $1 where "id" = $2;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- markSessionsRevoked
update "auth"."sessions" set "revoked_at" = $1, "revoked_reason" = $2 where "account_id" = $3 and "revoked_at" is null and "id" != $4 returning "id";
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "logout_all", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- markListedSessionsRevoked
update "auth"."sessions" set "revoked_at" = $1, "revoked_reason" = $2 where "account_id" = $3 and "revoked_at" is null and "id" in ($4) returning "id";
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "logout", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- moveTokensValidAfter
update "auth"."accounts" set "tokens_valid_after" = $1, "updated_at" = $2 where "id" = $3;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = 2026-06-01T12:00:00.000Z, $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- findUnrevokedSession
select * from "auth"."sessions" where "id" = $1 and "account_id" = $2 and "revoked_at" is null;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- lockUnrevokedSession
select * from "auth"."sessions" where "id" = $1 and "account_id" = $2 and "revoked_at" is null for update;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- hasEverSignedIn
select "id" from "auth"."sessions" where "account_id" = $1 limit $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 1

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
