-- deleteCredentials
select "id" from "auth"."accounts" where "id" = $1 for update;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
select "id" from "auth"."sessions" where "account_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
delete from "auth"."refresh_tokens" where "session_id" in ($1);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
delete from "auth"."sessions" where "account_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
delete from "auth"."known_devices" where "account_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
delete from "auth"."mfa_challenges" where "account_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
delete from "auth"."recovery_codes" where "account_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
delete from "auth"."api_keys" where "account_id" = $1 returning "key_hash";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
delete from "auth"."oidc_identities" where "account_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
delete from "auth"."oidc_states" where "account_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
delete from "auth"."email_tokens" where "account_id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
delete from "auth"."accounts" where "id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
