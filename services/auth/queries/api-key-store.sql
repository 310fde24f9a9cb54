-- countActiveKeys
select count(*) as "count" from "auth"."api_keys" where "account_id" = $1 and "revoked_at" is null and ("expires_at" is null or "expires_at" > $2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 2026-06-01T12:00:00.000Z

-- findOwnKey
select * from "auth"."api_keys" where "id" = $1 and "account_id" = $2 for update;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- revokeAllKeys
update "auth"."api_keys" set "revoked_at" = $1 where "account_id" = $2 and "revoked_at" is null returning "id", "key_hash";
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- liveKeyHashes
select "key_hash" from "auth"."api_keys" where "account_id" = $1 and "revoked_at" is null and ("expires_at" is null or "expires_at" > $2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 2026-06-01T12:00:00.000Z

-- findKeyByHash
select "k"."id" as "id", "k"."account_id" as "accountId", "k"."scopes" as "scopes", "k"."expires_at" as "expiresAt", "k"."revoked_at" as "revokedAt", "k"."last_used_at" as "lastUsedAt", "a"."role" as "role", "a"."disabled_at" as "accountDisabledAt", "a"."moderation_banned" as "accountBanned", "a"."moderation_suspended" as "accountSuspended", "a"."moderation_suspended_until" as "accountSuspendedUntil" from "auth"."api_keys" as "k" inner join "auth"."accounts" as "a" on "a"."id" = "k"."account_id" where "k"."key_hash" = $1;
-- $1 = "abababababababababababababababababababababababababababababababab"

-- touchLastUsed
update "auth"."api_keys" set "last_used_at" = $1 where "id" = $2 and ("last_used_at" is null or "last_used_at" <= $3);
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $3 = 2026-06-01T11:59:00.000Z

-- insertApiKey
insert into "auth"."api_keys" ("id", "account_id", "name", "prefix", "key_hash", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "ci", $4 = "kith_ak_abcd", $5 = "abababababababababababababababababababababababababababababababab", $6 = ["posts:read"], $7 = 2026-06-01T12:00:00.000Z, $8 = null, $9 = 2026-06-01T12:00:00.000Z, $10 = null

-- markKeyRevoked
update "auth"."api_keys" set "revoked_at" = $1 where "id" = $2;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- ownLiveKeysPage
select * from "auth"."api_keys" where "account_id" = $1 and "revoked_at" is null and ("expires_at" is null or "expires_at" > $2) order by "created_at" desc, "id" desc limit $3;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 2026-06-01T12:00:00.000Z, $3 = 21

-- ownKeysPageWithInactive
select * from "auth"."api_keys" where "account_id" = $1 order by "created_at" desc, "id" desc limit $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 21
