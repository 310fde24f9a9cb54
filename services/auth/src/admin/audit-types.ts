import { AuditEventType } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { AuditType } from '../audit/audit-store.js';

/** Stored audit type → enum. A Record, so a new AuditType fails to compile until mapped. */
const TO_PROTO: Record<AuditType, AuditEventType> = {
  registered: AuditEventType.REGISTERED,
  email_verified: AuditEventType.EMAIL_VERIFIED,
  login_succeeded: AuditEventType.LOGIN_SUCCEEDED,
  login_failed: AuditEventType.LOGIN_FAILED,
  login_challenged: AuditEventType.LOGIN_CHALLENGED,
  mfa_succeeded: AuditEventType.MFA_SUCCEEDED,
  mfa_failed: AuditEventType.MFA_FAILED,
  token_refreshed: AuditEventType.TOKEN_REFRESHED,
  refresh_token_reused: AuditEventType.REFRESH_TOKEN_REUSED,
  logout: AuditEventType.LOGOUT,
  logout_all: AuditEventType.LOGOUT_ALL,
  session_revoked: AuditEventType.SESSION_REVOKED,
  reauthenticated: AuditEventType.REAUTHENTICATED,
  password_changed: AuditEventType.PASSWORD_CHANGED,
  password_reset_requested: AuditEventType.PASSWORD_RESET_REQUESTED,
  password_reset: AuditEventType.PASSWORD_RESET,
  email_change_requested: AuditEventType.EMAIL_CHANGE_REQUESTED,
  email_changed: AuditEventType.EMAIL_CHANGED,
  mfa_enrolled: AuditEventType.MFA_ENROLLED,
  mfa_disabled: AuditEventType.MFA_DISABLED,
  recovery_codes_regenerated: AuditEventType.RECOVERY_CODES_REGENERATED,
  oauth_linked: AuditEventType.OAUTH_LINKED,
  oauth_unlinked: AuditEventType.OAUTH_UNLINKED,
  api_key_created: AuditEventType.API_KEY_CREATED,
  api_key_revoked: AuditEventType.API_KEY_REVOKED,
  role_changed: AuditEventType.ROLE_CHANGED,
  account_disabled: AuditEventType.ACCOUNT_DISABLED,
  account_enabled: AuditEventType.ACCOUNT_ENABLED,
  rate_limited: AuditEventType.RATE_LIMITED,
  blocked_by_policy: AuditEventType.BLOCKED_BY_POLICY,
  policy_changed: AuditEventType.POLICY_CHANGED,
  staff_access: AuditEventType.STAFF_ACCESS,
  registration_expired: AuditEventType.REGISTRATION_EXPIRED,
  email_change_cancelled: AuditEventType.EMAIL_CHANGE_CANCELLED,
  mfa_reset: AuditEventType.MFA_RESET,
};

const FROM_PROTO = new Map<AuditEventType, AuditType>(
  (Object.entries(TO_PROTO) as [AuditType, AuditEventType][]).map(([name, value]) => [value, name]),
);

/** UNSPECIFIED for a stored type this build does not know (kept, never dropped from a page). */
export function auditTypeToProto(type: string): AuditEventType {
  return Object.hasOwn(TO_PROTO, type) ? TO_PROTO[type as AuditType] : AuditEventType.UNSPECIFIED;
}

export function auditTypeFromProto(type: AuditEventType): AuditType | undefined {
  return FROM_PROTO.get(type);
}
