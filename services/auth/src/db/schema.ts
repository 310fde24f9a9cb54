import type { Trx } from '@kith/db';
import type { Generated, Insertable, Selectable } from 'kysely';
import type { Role } from '@kith/context';

/** Row types of the auth schema (see migrations/20261123T1800_auth.ts and the ones after it). */
export interface AccountTable {
  id: string;
  email: string;
  email_canonical: string;
  email_verified_at: Date | null;
  pending_email: string | null;
  username: string;
  username_normalized: string;
  username_skeleton: string;
  password_hash: string | null;
  role: Generated<Role>;
  locale: Generated<string>;
  consent: Generated<unknown>;
  totp_secret_enc: string | null;
  totp_enabled_at: Date | null;
  totp_last_step: string | number | null;
  totp_pending_secret_enc: string | null;
  totp_pending_expires_at: Date | null;
  /** Wrong codes given to ConfirmTotp for the pending secret; at the limit it is dropped. */
  totp_pending_attempts: Generated<number>;
  tokens_valid_after: Date;
  disabled_at: Date | null;
  disabled_reason: Generated<string>;
  disabled_by: string | null;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /**
   * Moderation's enforcement of the account (moderation.account_actioned and action_reversed):
   * the enforcement version last applied (a bigint, as a string; 0 = never actioned) and what
   * was in force after it. See accounts/lockout.ts for what it refuses.
   */
  moderation_version: Generated<string>;
  moderation_limited: Generated<boolean>;
  moderation_suspended: Generated<boolean>;
  /** While suspended: when the suspension ends by itself; null = until lifted. */
  moderation_suspended_until: Generated<Date | null>;
  moderation_banned: Generated<boolean>;
}

export interface SessionTable {
  id: string;
  account_id: string;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  auth_time: Date;
  ip: string;
  user_agent: string;
  device_label: string;
  device_hash: string;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

export interface RefreshTokenTable {
  id: string;
  session_id: string;
  token_hash: string;
  created_at: Date;
  used_at: Date | null;
}

export interface MfaChallengeTable {
  id: string;
  account_id: string;
  token_hash: string;
  methods: string[];
  email_code_hash: string | null;
  attempts: Generated<number>;
  created_at: Date;
  expires_at: Date;
  consumed_at: Date | null;
  ip: string;
  user_agent: string;
  device_label: string;
}

export type EmailTokenPurpose =
  'verify_email' | 'reset_password' | 'change_email' | 'cancel_email_change';

export interface EmailTokenTable {
  id: string;
  account_id: string;
  purpose: EmailTokenPurpose;
  token_hash: string;
  email: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export interface RecoveryCodeTable {
  id: string;
  account_id: string;
  code_hash: string;
  used_at: Date | null;
}

export interface ApiKeyTable {
  id: string;
  account_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export interface OidcIdentityTable {
  id: string;
  account_id: string;
  provider_id: string;
  issuer: string;
  subject: string;
  email: string;
  linked_at: Date;
}

export interface OidcStateTable {
  state_hash: string;
  provider_id: string;
  intent: 'login' | 'link';
  account_id: string | null;
  nonce: string;
  code_verifier: string;
  redirect_uri: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  /** The terms accepted at the start of a sign-up, as accounts.consent holds them; else null. */
  consent: Record<string, unknown> | null;
  /** SHA-256 of the binding secret returned to the client that started the flow. */
  binding_hash: string;
}

/** A device credential issued at a successful login; only the hash of its secret is kept. */
export interface KnownDeviceTable {
  id: string;
  account_id: string;
  token_hash: string;
  created_at: Date;
  last_used_at: Date;
}

export interface SigningKeyTable {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  public_jwk: unknown;
  private_key_enc: string;
  state: 'next' | 'current' | 'retired';
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
}

export interface AuditEventTable {
  id: string;
  type: string;
  account_id: string | null;
  actor_id: string | null;
  session_id: string | null;
  ip: string;
  user_agent: string;
  request_id: string;
  details: Record<string, string>;
  occurred_at: Date;
}

export interface IpBlockTable {
  id: string;
  cidr: string;
  scope: 'sign_up' | 'all';
  reason: string;
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
}

export interface EmailDomainBlockTable {
  id: string;
  domain: string;
  reason: string;
  created_by: string;
  created_at: Date;
}

export interface AuthDatabase {
  accounts: AccountTable;
  sessions: SessionTable;
  refresh_tokens: RefreshTokenTable;
  mfa_challenges: MfaChallengeTable;
  email_tokens: EmailTokenTable;
  recovery_codes: RecoveryCodeTable;
  api_keys: ApiKeyTable;
  oidc_identities: OidcIdentityTable;
  oidc_states: OidcStateTable;
  known_devices: KnownDeviceTable;
  signing_keys: SigningKeyTable;
  audit_events: AuditEventTable;
  ip_blocks: IpBlockTable;
  email_domain_blocks: EmailDomainBlockTable;
}

/** A transaction on the auth schema, with `onCommit` for work that must follow the commit. */
export type AuthTrx = Trx<AuthDatabase>;

export type Account = Selectable<AccountTable>;
export type Session = Selectable<SessionTable>;
export type NewAccount = Insertable<AccountTable>;
