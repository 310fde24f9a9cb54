-- lockKeyMaintenance
select pg_advisory_xact_lock(hashtext($1));
-- $1 = "kith.auth.signing_keys"

-- allSigningKeys
select * from "auth"."signing_keys" order by "created_at";

-- insertSigningKey
insert into "auth"."signing_keys" ("kid", "alg", "public_jwk", "private_key_enc", "state", "created_at", "activated_at", "retired_at") values ($1, $2, $3, $4, $5, $6, $7, $8);
-- $1 = "k1", $2 = "EdDSA", $3 = {"kty":"OKP","crv":"Ed25519","x":"AAAA"}, $4 = "sealed", $5 = "next", $6 = 2026-06-01T12:00:00.000Z, $7 = null, $8 = null

-- retireSigningKey
update "auth"."signing_keys" set "state" = $1, "retired_at" = $2 where "kid" = $3;
-- $1 = "retired", $2 = 2026-06-01T12:00:00.000Z, $3 = "k1"

-- activateSigningKey
update "auth"."signing_keys" set "state" = $1, "activated_at" = $2 where "kid" = $3;
-- $1 = "current", $2 = 2026-06-01T12:00:00.000Z, $3 = "k2"

-- deleteRetiredSigningKeys
delete from "auth"."signing_keys" where "state" = $1 and "retired_at" < $2;
-- $1 = "retired", $2 = 2026-06-01T12:00:00.000Z
