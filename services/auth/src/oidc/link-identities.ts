import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { LinkedIdentitySchema } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { Kysely, Selectable } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { uniqueViolationConstraint } from '../accounts/unique-violation.js';
import type { AuthDatabase, OidcIdentityTable } from '../db/schema.js';
import type { OidcIdentity } from './identity.js';

// The queries on linked identities (oidc_identities). Each takes the handle it runs on: inside
// a transaction that is the transaction.

export type IdentityRow = Selectable<OidcIdentityTable>;

/** The account an identity (issuer + subject, the provider's stable key) belongs to, if any. */
export async function findIdentity(
  db: Kysely<AuthDatabase>,
  issuer: string,
  subject: string,
): Promise<IdentityRow | undefined> {
  return db
    .selectFrom('oidc_identities')
    .selectAll()
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();
}

/** The account's identity at one configured provider (at most one per provider). */
export async function findProviderIdentity(
  db: Kysely<AuthDatabase>,
  accountId: string,
  providerId: string,
): Promise<IdentityRow | undefined> {
  return db
    .selectFrom('oidc_identities')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('provider_id', '=', providerId)
    .executeTakeFirst();
}

export async function countIdentities(
  db: Kysely<AuthDatabase>,
  accountId: string,
): Promise<number> {
  const row = await db
    .selectFrom('oidc_identities')
    .select((eb) => eb.fn.countAll<string | number | bigint>().as('count'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function insertIdentity(
  db: Kysely<AuthDatabase>,
  input: { accountId: string; providerId: string; identity: OidcIdentity; now: Date },
): Promise<IdentityRow> {
  return db
    .insertInto('oidc_identities')
    .values({
      id: uuidv7(),
      account_id: input.accountId,
      provider_id: input.providerId,
      issuer: input.identity.issuer,
      subject: input.identity.subject,
      email: input.identity.email ?? '',
      linked_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Keeps the address shown for a linked identity current; the key never changes. */
export async function refreshIdentityEmail(
  db: Kysely<AuthDatabase>,
  row: IdentityRow,
  identity: OidcIdentity,
): Promise<void> {
  const email = identity.email ?? '';
  if (email === row.email) return;
  await db.updateTable('oidc_identities').set({ email }).where('id', '=', row.id).execute();
}

export async function deleteIdentity(db: Kysely<AuthDatabase>, id: string): Promise<void> {
  await db.deleteFrom('oidc_identities').where('id', '=', id).execute();
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
