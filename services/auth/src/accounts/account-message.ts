import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Role as PlatformRole } from '@kith/context';
import { Role } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { AccountSchema } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { Account, OidcIdentityTable } from '../db/schema.js';
import type { Selectable } from 'kysely';

const ROLES: Record<PlatformRole, Role> = {
  user: Role.USER,
  triage: Role.TRIAGE,
  moderator: Role.MODERATOR,
  admin: Role.ADMIN,
};

export function toProtoRole(role: PlatformRole): Role {
  return ROLES[role] ?? Role.UNSPECIFIED;
}

/** The caller's own account as the API shows it: never a hash, a secret or a sealed value. */
export function toAccountMessage(
  account: Account,
  extra: { recoveryCodesRemaining: number; identities: Selectable<OidcIdentityTable>[] },
): MessageInitShape<typeof AccountSchema> {
  return {
    userId: account.id,
    email: account.email,
    emailVerified: account.email_verified_at !== null,
    pendingEmail: account.pending_email ?? '',
    username: account.username,
    role: toProtoRole(account.role),
    totpEnabled: account.totp_enabled_at !== null,
    recoveryCodesRemaining: extra.recoveryCodesRemaining,
    hasPassword: account.password_hash !== null,
    linkedIdentities: extra.identities.map((identity) => ({
      providerId: identity.provider_id,
      issuer: identity.issuer,
      subject: identity.subject,
      email: identity.email,
      linkedAt: timestampFromDate(identity.linked_at),
    })),
    createdAt: timestampFromDate(account.created_at),
    ...(account.disabled_at === null
      ? {}
      : {
          disabledAt: timestampFromDate(account.disabled_at),
          disabledReason: account.disabled_reason,
        }),
  };
}
