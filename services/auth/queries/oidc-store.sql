-- saveState
delete from "auth"."oidc_states" where "expires_at" <= $1;
-- $1 = 2026-06-01T12:00:00.000Z
insert into "auth"."oidc_states" ("state_hash", "provider_id", "intent", "account_id", "nonce", "code_verifier", "redirect_uri", "created_at", "expires_at", "used_at", "consent", "binding_hash") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);
-- $1 = "043a718774c572bd8a25adbeb1bfcd5c0256ae11cecf9f9c3f925d0e52beaf89", $2 = "google", $3 = "login", $4 = null, $5 = "n", $6 = "v", $7 = "https://app/cb", $8 = 2026-06-01T12:00:00.000Z, $9 = 2026-06-01T12:10:00.000Z, $10 = null, $11 = null, $12 = "ee2fbe3cacdf195ae1d9ae3414c783488df327d182ae9bf30fa44836bcb5bcb2"

-- claimState
update "auth"."oidc_states" set "used_at" = $1 where "state_hash" = $2 and "binding_hash" = $3 and "used_at" is null returning *;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "043a718774c572bd8a25adbeb1bfcd5c0256ae11cecf9f9c3f925d0e52beaf89", $3 = "ee2fbe3cacdf195ae1d9ae3414c783488df327d182ae9bf30fa44836bcb5bcb2"
select "used_at", "binding_hash" from "auth"."oidc_states" where "state_hash" = $1;
-- $1 = "043a718774c572bd8a25adbeb1bfcd5c0256ae11cecf9f9c3f925d0e52beaf89"

-- findIdentity
select * from "auth"."oidc_identities" where "issuer" = $1 and "subject" = $2;
-- $1 = "https://accounts.example", $2 = "sub-1"

-- findProviderIdentity
select * from "auth"."oidc_identities" where "account_id" = $1 and "provider_id" = $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "google"

-- countIdentities
select count(*) as "count" from "auth"."oidc_identities" where "account_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- insertIdentity
insert into "auth"."oidc_identities" ("id", "account_id", "provider_id", "issuer", "subject", "email", "linked_at") values ($1, $2, $3, $4, $5, $6, $7) returning *;
-- $1 = "<new uuidv7>", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $3 = "google", $4 = "https://accounts.example", $5 = "sub-1", $6 = "a@example.com", $7 = 2026-06-01T12:00:00.000Z

-- deleteIdentity
delete from "auth"."oidc_identities" where "id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- updateIdentityEmail
update "auth"."oidc_identities" set "email" = $1 where "id" = $2;
-- $1 = "b@example.com", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
