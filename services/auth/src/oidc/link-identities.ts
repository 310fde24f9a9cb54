import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { LinkedIdentitySchema } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { Kysely } from 'kysely';
import { uniqueViolationConstraint } from '../accounts/unique-violation.js';
import type { AuthDatabase } from '../db/schema.js';
import { updateIdentityEmail } from './oidc-store.js';
import type { IdentityRow } from './oidc-store.js';
import type { OidcIdentity } from './identity.js';

// Linked identities (oidc_identities): the store's queries, re-exported for this folder, and
// the rules and messages around them.

export {
  countIdentities,
  deleteIdentity,
  findIdentity,
  findProviderIdentity,
  insertIdentity,
} from './oidc-store.js';
export type { IdentityRow } from './oidc-store.js';

/** Keeps the address shown for a linked identity current; the key never changes. */
export async function refreshIdentityEmail(
  db: Kysely<AuthDatabase>,
  row: IdentityRow,
  identity: OidcIdentity,
): Promise<void> {
  const email = identity.email ?? '';
  if (email === row.email) return;
  await updateIdentityEmail(db, row.id, email);
}

/** Which uniqueness rule of oidc_identities a concurrent link lost to. */
export function identityConflict(err: unknown): 'identity' | 'provider' | undefined {
  const constraint = uniqueViolationConstraint(err);
  if (constraint === undefined || !constraint.startsWith('oidc_identities')) return undefined;
  return constraint.includes('provider') ? 'provider' : 'identity';
}

export function toLinkedIdentity(row: IdentityRow): MessageInitShape<typeof LinkedIdentitySchema> {
  return {
    providerId: row.provider_id,
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    linkedAt: timestampFromDate(row.linked_at),
  };
}
