-- disableAccountRow
update "auth"."accounts" set "disabled_at" = $1, "disabled_reason" = $2, "disabled_by" = $3, "updated_at" = $4 where "id" = $5;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = "spam", $3 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $4 = 2026-06-01T12:00:00.000Z, $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- enableAccountRow
update "auth"."accounts" set "disabled_at" = $1, "disabled_reason" = $2, "disabled_by" = $3, "updated_at" = $4 where "id" = $5;
-- $1 = null, $2 = "", $3 = null, $4 = 2026-06-01T12:00:00.000Z, $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- hasRecoveryCodes
select "id" from "auth"."recovery_codes" where "account_id" = $1 limit $2;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $2 = 1

-- ipBlockedForLogin
select "id" from "auth"."ip_blocks" where "scope" in ($1) and cidr >>= $2::inet and ("expires_at" is null or "expires_at" > $3) limit $4;
-- $1 = "all", $2 = "192.0.2.7", $3 = 2026-06-01T12:00:00.000Z, $4 = 1

-- ipBlockedForSignUp
select "id" from "auth"."ip_blocks" where "scope" in ($1, $2) and cidr >>= $3::inet and ("expires_at" is null or "expires_at" > $4) limit $5;
-- $1 = "sign_up", $2 = "all", $3 = "2001:db8::7", $4 = 2026-06-01T12:00:00.000Z, $5 = 1

-- emailDomainBlocked
select "id" from "auth"."email_domain_blocks" where "domain" in ($1, $2, $3) limit $4;
-- $1 = "mail.evil.example", $2 = "evil.example", $3 = "example", $4 = 1

-- insertIpBlock
insert into "auth"."ip_blocks" ("id", "cidr", "scope", "reason", "created_by", "created_at", "expires_at") values ($1, $2, $3, $4, $5, $6, $7) returning *;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "192.0.2.0/24", $3 = "all", $4 = "abuse", $5 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $6 = 2026-06-01T12:00:00.000Z, $7 = null

-- deleteIpBlock
delete from "auth"."ip_blocks" where "id" = $1 returning *;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- liveIpBlocksPage
select * from "auth"."ip_blocks" where ("expires_at" is null or "expires_at" > $1) order by "created_at" desc, "id" desc limit $2;
-- $1 = 2026-06-01T12:00:00.000Z, $2 = 21

-- insertEmailDomainBlock
insert into "auth"."email_domain_blocks" ("id", "domain", "reason", "created_by", "created_at") values ($1, $2, $3, $4, $5) on conflict ("domain") do nothing returning *;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", $2 = "evil.example", $3 = "abuse", $4 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", $5 = 2026-06-01T12:00:00.000Z

-- deleteEmailDomainBlock
delete from "auth"."email_domain_blocks" where "id" = $1 returning *;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"

-- emailDomainBlocksPage
select * from "auth"."email_domain_blocks" order by "created_at" desc, "id" desc limit $1;
-- $1 = 21
