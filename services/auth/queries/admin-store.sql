-- disableAccountRow
update "auth"."accounts" set "disabled_at" = $1, "disabled_reason" = $2, "disabled_by" = $3, "updated_at" = $4 where "id" = $5;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "spam", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = 2026-06-01T12:00:00.000Z, $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- enableAccountRow
update "auth"."accounts" set "disabled_at" = $1, "disabled_reason" = $2, "disabled_by" = $3, "updated_at" = $4 where "id" = $5;
-- $1 = null, $2 = "", $3 = null, $4 = 2026-06-01T12:00:00.000Z, $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- hasRecoveryCodes
select "id" from "auth"."recovery_codes" where "account_id" = $1 limit $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 1
