import { isIP } from 'node:net';
import { liveAt } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import { sql } from 'kysely';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AuthDatabase, EmailDomainBlockTable, IpBlockTable } from '../db/schema.js';
import { newestFirstPage } from '../db/paging.js';

// The staff console's queries (account status, IP and e-mail-domain blocks): plain functions of
// the handle they run on.

export async function disableAccountRow(
  db: Kysely<AuthDatabase>,
  accountId: string,
  input: { reason: string; by: string; now: Date },
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({
      disabled_at: input.now,
      disabled_reason: input.reason,
      disabled_by: input.by,
      updated_at: input.now,
    })
    .where('id', '=', accountId)
    .execute();
}

export async function enableAccountRow(
  db: Kysely<AuthDatabase>,
  accountId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ disabled_at: null, disabled_reason: '', disabled_by: null, updated_at: now })
    .where('id', '=', accountId)
    .execute();
}

/** True when the account holds a recovery code. */
export async function hasRecoveryCodes(
  db: Kysely<AuthDatabase>,
  accountId: string,
): Promise<boolean> {
  const codes = await db
    .selectFrom('recovery_codes')
    .select('id')
    .where('account_id', '=', accountId)
    .limit(1)
    .execute();
  return codes.length > 0;
}

export type IpBlockRow = Selectable<IpBlockTable>;
export type EmailDomainBlockRow = Selectable<EmailDomainBlockTable>;

/** Which blocks refuse what: an `all` block refuses logins and sign-ups, `sign_up` only those. */
const SCOPES = { login: ['all'], sign_up: ['sign_up', 'all'] } as const;

/** True when a block in force covers `ip` for `action`. */
export async function ipBlocked(
  db: Kysely<AuthDatabase>,
  ip: string,
  action: keyof typeof SCOPES,
  now: Date,
): Promise<boolean> {
  // Not an address (no peer, a garbled forwarded header): nothing to match, and a cast would fail.
  if (isIP(ip) === 0) return false;
  const block = await db
    .selectFrom('ip_blocks')
    .select('id')
    .where('scope', 'in', SCOPES[action])
    .where(sql<boolean>`cidr >>= ${ip}::inet`)
    .where(liveAt(now))
    .limit(1)
    .executeTakeFirst();
  return block !== undefined;
}

/** The domain and each parent of it: 'a.mail.evil.com' → 'a.mail.evil.com', 'mail.evil.com', … */
export function domainAndParents(domain: string): string[] {
  const labels = domain.split('.');
  return labels.map((_, i) => labels.slice(i).join('.'));
}

/**
 * True when the (lowercase ASCII) domain or a parent of it is on the block list. Blocks are
 * stored in that same form (CreateEmailDomainBlock normalises), so this is an index lookup.
 */
export async function emailDomainBlocked(
  db: Kysely<AuthDatabase>,
  domain: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('email_domain_blocks')
    .select('id')
    .where('domain', 'in', domainAndParents(domain))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export function insertIpBlock(
  db: Kysely<AuthDatabase>,
  row: Insertable<IpBlockTable>,
): Promise<IpBlockRow> {
  return db.insertInto('ip_blocks').values(row).returningAll().executeTakeFirstOrThrow();
}

export function deleteIpBlock(db: Kysely<AuthDatabase>, id: string) {
  return db.deleteFrom('ip_blocks').where('id', '=', id).returningAll().executeTakeFirst();
}

/** Only blocks still in force: an expired one no longer does anything. */
export function liveIpBlocksPage(
  codec: { pageTokens: PageTokenCodec },
  db: Kysely<AuthDatabase>,
  page: { now: Date; pageSize: number; pageToken: string; binding: string },
) {
  const query = db.selectFrom('ip_blocks').selectAll().where(liveAt(page.now));
  return newestFirstPage(codec, query, page, page.binding);
}

/** Undefined when the domain is already blocked. */
export function insertEmailDomainBlock(
  db: Kysely<AuthDatabase>,
  row: Insertable<EmailDomainBlockTable>,
): Promise<EmailDomainBlockRow | undefined> {
  return db
    .insertInto('email_domain_blocks')
    .values(row)
    .onConflict((oc) => oc.column('domain').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function deleteEmailDomainBlock(db: Kysely<AuthDatabase>, id: string) {
  return db
    .deleteFrom('email_domain_blocks')
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export function emailDomainBlocksPage(
  codec: { pageTokens: PageTokenCodec },
  db: Kysely<AuthDatabase>,
  page: { pageSize: number; pageToken: string; binding: string },
) {
  return newestFirstPage(
    codec,
    db.selectFrom('email_domain_blocks').selectAll(),
    page,
    page.binding,
  );
}
