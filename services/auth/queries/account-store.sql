-- updateAccount
update "auth"."accounts" set "password_hash" = $1, "updated_at" = $2 where "id" = $3;
-- $1 = "$argon2id$…", $2 = 2026-06-01T12:00:00.000Z, $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- clearPendingEmail
update "auth"."accounts" set "pending_email" = $1, "updated_at" = $2 where "id" = $3 and "pending_email" is not null;
-- $1 = null, $2 = 2026-06-01T12:00:00.000Z, $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- insertEmailToken
insert into "auth"."email_tokens" ("id", "account_id", "purpose", "token_hash", "email", "created_at", "expires_at", "used_at") values ($1, $2, $3, $4, $5, $6, $7, $8);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "verify_email", $4 = "efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef", $5 = "a@example.com", $6 = 2026-06-01T12:00:00.000Z, $7 = 2026-06-01T12:00:00.000Z, $8 = null

-- retireEmailTokens
update "auth"."email_tokens" set "used_at" = $1 where "account_id" = $2 and "purpose" in ($3, $4) and "used_at" is null;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "change_email", $4 = "cancel_email_change"

-- findLiveEmailToken
select * from "auth"."email_tokens" where "token_hash" = $1 and "purpose" in ($2) and "used_at" is null and "expires_at" > $3;
-- $1 = "efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef", $2 = "reset_password", $3 = 2026-06-01T12:00:00.000Z

-- redeemEmailToken
update "auth"."email_tokens" set "used_at" = $1 where "token_hash" = $2 and "purpose" in ($3, $4) and "used_at" is null and "expires_at" > $5 returning *;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef", $3 = "verify_email", $4 = "change_email", $5 = 2026-06-01T12:00:00.000Z

-- findAccountByLoginName
select * from "auth"."accounts" where "username_normalized" = $1;
-- $1 = "alice"

-- anyAdminExists
select "id" from "auth"."accounts" where "role" = $1;
-- $1 = "admin"

-- lockVerifiedAccountsByEmail
select "id", "role" from "auth"."accounts" where "email_canonical" in ($1, $2) and "email_verified_at" is not null and "disabled_at" is null for update;
-- $1 = "a@example.com", $2 = "b@example.com"

-- findAccountByCanonicalEmail
select * from "auth"."accounts" where "email_canonical" = $1;
-- $1 = "a@example.com"

-- findAccountById
select * from "auth"."accounts" where "id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- findAccountByIdForUpdate
select * from "auth"."accounts" where "id" = $1 for update;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- usernameTaken
select "id" from "auth"."accounts" where ("username_normalized" = $1 or "username_skeleton" = $2);
-- $1 = "alice", $2 = "a1ice"

-- emailTakenByOther
select "id" from "auth"."accounts" where "email_canonical" = $1 and "id" != $2;
-- $1 = "a@example.com", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- insertAccount
insert into "auth"."accounts" ("id", "email", "email_canonical", "email_verified_at", "pending_email", "username", "username_normalized", "username_skeleton", "password_hash", "locale", "totp_secret_enc", "totp_enabled_at", "totp_last_step", "totp_pending_secret_enc", "totp_pending_expires_at", "tokens_valid_after", "disabled_at", "disabled_by", "last_login_at", "created_at", "updated_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "A@example.com", $3 = "a@example.com", $4 = null, $5 = null, $6 = "alice", $7 = "alice", $8 = "allce", $9 = "$argon2id$…", $10 = "en", $11 = null, $12 = null, $13 = null, $14 = null, $15 = null, $16 = 2026-06-01T12:00:00.000Z, $17 = null, $18 = null, $19 = null, $20 = 2026-06-01T12:00:00.000Z, $21 = 2026-06-01T12:00:00.000Z

-- unusedRecoveryCodes
select count(*) as "count" from "auth"."recovery_codes" where "account_id" = $1 and "used_at" is null;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- linkedIdentities
select * from "auth"."oidc_identities" where "account_id" = $1 order by "linked_at", "id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
