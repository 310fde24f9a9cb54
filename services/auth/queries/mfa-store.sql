-- insertChallenge
insert into "auth"."mfa_challenges" ("id", "account_id", "token_hash", "methods", "email_code_hash", "created_at", "expires_at", "consumed_at", "ip", "user_agent", "device_label") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "abababababababababababababababababababababababababababababababab", $4 = ["totp","recovery_code"], $5 = null, $6 = 2026-06-01T12:00:00.000Z, $7 = 2026-06-01T12:00:00.000Z, $8 = null, $9 = "192.0.2.7", $10 = "kith-test", $11 = ""

-- findChallengeAccount
select "account_id" from "auth"."mfa_challenges" where "token_hash" = $1;
-- $1 = "abababababababababababababababababababababababababababababababab"

-- countChallengeAttempt
update "auth"."mfa_challenges" set "attempts" = "attempts" + $1 where "token_hash" = $2 and "consumed_at" is null and "expires_at" > $3 and "attempts" < $4 returning *;
-- $1 = 1, $2 = "abababababababababababababababababababababababababababababababab", $3 = 2026-06-01T12:00:00.000Z, $4 = 5

-- markChallengeConsumed
update "auth"."mfa_challenges" set "consumed_at" = $1 where "id" = $2 and "consumed_at" is null;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- advanceTotpStep
update "auth"."accounts" set "totp_last_step" = $1, "updated_at" = $2 where "id" = $3 and ("totp_last_step" is null or "totp_last_step" < $4);
-- $1 = 59000000, $2 = 2026-06-01T12:00:00.000Z, $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $4 = 59000000

-- burnRecoveryCode
update "auth"."recovery_codes" set "used_at" = $1 where "account_id" = $2 and "code_hash" = $3 and "used_at" is null;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "abababababababababababababababababababababababababababababababab"

-- deleteRecoveryCodes
delete from "auth"."recovery_codes" where "account_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- insertRecoveryCodes
insert into "auth"."recovery_codes" ("id", "account_id", "code_hash", "used_at") values ($1, $2, $3, $4), ($5, $6, $7, $8);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "abababababababababababababababababababababababababababababababab", $4 = null, $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $6 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $7 = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd", $8 = null
