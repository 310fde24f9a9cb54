-- claimExpiredRegistrations
select "id", "username" from "auth"."accounts" where "email_verified_at" is null and "created_at" < $1 and not exists (select "auth"."oidc_identities"."id" from "auth"."oidc_identities" where "auth"."oidc_identities"."account_id" = "auth"."accounts"."id") order by "created_at", "id" limit $2 for update skip locked;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = 50

-- deleteAccounts
delete from "auth"."accounts" where "id" in ($1, $2);
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
