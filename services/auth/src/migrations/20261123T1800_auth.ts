import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * The auth schema. Written as SQL because it leans on Postgres features the builder does not
 * model (inet/cidr, arrays, triggers); `search_path` is set for this transaction only, so the
 * names below land in the service's schema.
 */
const statements = [
  `create table accounts (
    id uuid primary key,
    email text not null,
    email_canonical text not null unique,
    email_verified_at timestamptz(3),
    pending_email text,
    username text not null,
    username_normalized text not null unique,
    username_skeleton text not null unique,
    password_hash text,
    role text not null default 'user' check (role in ('user', 'triage', 'moderator', 'admin')),
    locale text not null default '',
    consent jsonb not null default '{}',
    totp_secret_enc text,
    totp_enabled_at timestamptz(3),
    totp_last_step bigint,
    totp_pending_secret_enc text,
    totp_pending_expires_at timestamptz(3),
    tokens_valid_after timestamptz(3) not null default now(),
    disabled_at timestamptz(3),
    disabled_reason text not null default '',
    disabled_by uuid,
    last_login_at timestamptz(3),
    created_at timestamptz(3) not null default now(),
    updated_at timestamptz(3) not null default now()
  )`,
  `create table sessions (
    id uuid primary key,
    account_id uuid not null references accounts (id) on delete cascade,
    created_at timestamptz(3) not null,
    last_used_at timestamptz(3) not null,
    expires_at timestamptz(3) not null,
    auth_time timestamptz(3) not null,
    ip text not null default '',
    user_agent text not null default '',
    device_label text not null default '',
    device_hash text not null default '',
    revoked_at timestamptz(3),
    revoked_reason text
  )`,
  `create index sessions_account_active on sessions (account_id, created_at desc, id desc)
    where revoked_at is null`,
  `create index sessions_account_device on sessions (account_id, device_hash)`,
  `create table refresh_tokens (
    id uuid primary key,
    session_id uuid not null references sessions (id) on delete cascade,
    token_hash text not null unique,
    created_at timestamptz(3) not null,
    used_at timestamptz(3),
    replaced_by uuid
  )`,
  `create index refresh_tokens_session on refresh_tokens (session_id)`,
  `create table mfa_challenges (
    id uuid primary key,
    account_id uuid not null references accounts (id) on delete cascade,
    token_hash text not null unique,
    methods text[] not null,
    email_code_hash text,
    attempts int not null default 0,
    created_at timestamptz(3) not null,
    expires_at timestamptz(3) not null,
    consumed_at timestamptz(3),
    ip text not null default '',
    user_agent text not null default '',
    device_label text not null default ''
  )`,
  `create table email_tokens (
    id uuid primary key,
    account_id uuid not null references accounts (id) on delete cascade,
    purpose text not null check (purpose in ('verify_email', 'reset_password', 'change_email')),
    token_hash text not null unique,
    email text not null,
    created_at timestamptz(3) not null,
    expires_at timestamptz(3) not null,
    used_at timestamptz(3)
  )`,
  `create index email_tokens_account on email_tokens (account_id, purpose)`,
  `create table recovery_codes (
    id uuid primary key,
    account_id uuid not null references accounts (id) on delete cascade,
    code_hash text not null,
    used_at timestamptz(3),
    unique (account_id, code_hash)
  )`,
  `create table api_keys (
    id uuid primary key,
    account_id uuid not null references accounts (id) on delete cascade,
    name text not null,
    prefix text not null,
    key_hash text not null unique,
    scopes text[] not null,
    created_at timestamptz(3) not null,
    last_used_at timestamptz(3),
    expires_at timestamptz(3),
    revoked_at timestamptz(3)
  )`,
  `create index api_keys_account on api_keys (account_id, created_at desc, id desc)`,
  `create table oidc_identities (
    id uuid primary key,
    account_id uuid not null references accounts (id) on delete cascade,
    provider_id text not null,
    issuer text not null,
    subject text not null,
    email text not null default '',
    linked_at timestamptz(3) not null,
    unique (issuer, subject),
    unique (account_id, provider_id)
  )`,
  `create table oidc_states (
    state_hash text primary key,
    provider_id text not null,
    intent text not null check (intent in ('login', 'link')),
    account_id uuid references accounts (id) on delete cascade,
    nonce text not null,
    code_verifier text not null,
    redirect_uri text not null,
    created_at timestamptz(3) not null,
    expires_at timestamptz(3) not null,
    used_at timestamptz(3)
  )`,
  `create table signing_keys (
    kid text primary key,
    alg text not null check (alg in ('EdDSA', 'ES256')),
    public_jwk jsonb not null,
    private_key_enc text not null,
    state text not null check (state in ('next', 'current', 'retired')),
    created_at timestamptz(3) not null,
    activated_at timestamptz(3),
    retired_at timestamptz(3)
  )`,
  `create unique index signing_keys_one_current on signing_keys (state) where state = 'current'`,
  `create table audit_events (
    id uuid primary key,
    type text not null,
    account_id uuid,
    actor_id uuid,
    session_id uuid,
    ip text not null default '',
    user_agent text not null default '',
    request_id text not null default '',
    details jsonb not null default '{}',
    occurred_at timestamptz(3) not null
  )`,
  `create index audit_events_time on audit_events (occurred_at desc, id desc)`,
  `create index audit_events_account on audit_events (account_id, occurred_at desc, id desc)`,
  // Append-only for everyone, the service's own role included: history cannot be rewritten.
  `create function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_events is append-only' using errcode = 'insufficient_privilege';
    end
  $$`,
  `create trigger audit_events_no_update before update or delete on audit_events
    for each row execute function audit_events_append_only()`,
  `create trigger audit_events_no_truncate before truncate on audit_events
    for each statement execute function audit_events_append_only()`,
  `create table ip_blocks (
    id uuid primary key,
    cidr cidr not null,
    scope text not null check (scope in ('sign_up', 'all')),
    reason text not null default '',
    created_by uuid not null,
    created_at timestamptz(3) not null,
    expires_at timestamptz(3)
  )`,
  `create index ip_blocks_created on ip_blocks (created_at desc, id desc)`,
  `create table email_domain_blocks (
    id uuid primary key,
    domain text not null unique,
    reason text not null default '',
    created_by uuid not null,
    created_at timestamptz(3) not null
  )`,
  `create index email_domain_blocks_created on email_domain_blocks (created_at desc, id desc)`,
];

export const createAuthSchema: Migration = {
  async up(db: Kysely<unknown>, { schema }: { schema: string }) {
    await sql`set local search_path to ${sql.id(schema)}`.execute(db);
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
