-- exportAccount
select "id", "username", "email", "email_verified_at", "pending_email", "locale", "consent", "role", "totp_enabled_at", "last_login_at", "disabled_at", "created_at", "updated_at" from "auth"."accounts" where "id" = $1;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- exportSessions
select "id", "created_at", "last_used_at", "expires_at", "ip", "user_agent", "device_label", "revoked_at", "revoked_reason" from "auth"."sessions" where "account_id" = $1 order by "created_at", "id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- exportKnownDevices
select "id", "created_at", "last_used_at" from "auth"."known_devices" where "account_id" = $1 order by "created_at", "id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- exportApiKeys
select "id", "name", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at" from "auth"."api_keys" where "account_id" = $1 order by "created_at", "id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- countUnusedRecoveryCodes
select count(*) as "count" from "auth"."recovery_codes" where "account_id" = $1 and "used_at" is null;
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- exportLinkedIdentities
select "provider_id", "issuer", "email", "linked_at" from "auth"."oidc_identities" where "account_id" = $1 order by "linked_at", "id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

-- exportAuditEntries
select "id", "type", "actor_id", "session_id", "ip", "user_agent", "details", "occurred_at" from "auth"."audit_events" where "account_id" = $1 order by "occurred_at", "id";
-- $1 = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
