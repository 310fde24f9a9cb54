-- findDeviceForLoginName
select "auth"."known_devices"."id", "auth"."known_devices"."account_id" from "auth"."known_devices" inner join "auth"."accounts" on "auth"."accounts"."id" = "auth"."known_devices"."account_id" where "auth"."known_devices"."token_hash" = $1 and "auth"."accounts"."email_canonical" = $2;
-- $1 = "abababababababababababababababababababababababababababababababab", $2 = "a@example.com"

-- findAccountDevice
select "id", "account_id" from "auth"."known_devices" where "token_hash" = $1 and "account_id" = $2;
-- $1 = "abababababababababababababababababababababababababababababababab", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- touchDevice
update "auth"."known_devices" set "last_used_at" = $1 where "id" = $2;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- insertDevice
insert into "auth"."known_devices" ("id", "account_id", "token_hash", "created_at", "last_used_at") values ($1, $2, $3, $4, $5);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "abababababababababababababababababababababababababababababababab", $4 = 2026-06-01T12:00:00.000Z, $5 = 2026-06-01T12:00:00.000Z

-- deleteAccountDevices
delete from "auth"."known_devices" where "account_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
