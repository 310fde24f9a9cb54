import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { CircleDatabase, InviteLinksTable } from '../db/schema.js';

export type LinkRow = Selectable<InviteLinksTable>;
export type LinksDb = CircleDatabase;

/** Whether a link admits anyone at `now`: not revoked, paused, expired or used up. */
export function linkWorks(row: LinkRow, now: Date): boolean {
  return (
    row.revoked_at === null &&
    !row.disabled &&
    (row.expires_at === null || row.expires_at > now) &&
    (row.max_uses === 0 || row.use_count < row.max_uses)
  );
}

export async function insertLink(db: Kysely<LinksDb>, row: LinkRow): Promise<void> {
  await db.insertInto('invite_links').values(row).execute();
}

export async function findLink(
  db: Kysely<LinksDb>,
  by: { id: string } | { code: string },
  lock: boolean,
): Promise<LinkRow | undefined> {
  let query = db.selectFrom('invite_links').selectAll();
  query = 'id' in by ? query.where('id', '=', by.id) : query.where('code', '=', by.code);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export type LinkChanges = Partial<
  Pick<LinkRow, 'expires_at' | 'max_uses' | 'require_approval' | 'disabled' | 'revoked_at'>
>;

export async function updateLink(
  db: Kysely<LinksDb>,
  id: string,
  changes: LinkChanges,
): Promise<LinkRow> {
  return db
    .updateTable('invite_links')
    .set(changes)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Counts one use of a link. */
export async function useLink(db: Kysely<LinksDb>, id: string): Promise<void> {
  await db
    .updateTable('invite_links')
    .set({ use_count: sql`use_count + 1` })
    .where('id', '=', id)
    .execute();
}

/** The links of a circle that admit anyone at `now` (linkWorks, in SQL). */
function workingLinks(db: Kysely<LinksDb>, circleId: string, now: Date) {
  return db
    .selectFrom('invite_links')
    .where('circle_id', '=', circleId)
    .where('revoked_at', 'is', null)
    .where('disabled', '=', false)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .where((eb) => eb.or([eb('max_uses', '=', 0), eb('use_count', '<', eb.ref('max_uses'))]));
}

/** How many of a circle's links work at `now`. */
export async function countWorkingLinks(
  db: Kysely<LinksDb>,
  circleId: string,
  now: Date,
): Promise<number> {
  const row = await workingLinks(db, circleId, now)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** ListInviteLinks: newest first; only working ones unless `includeInactive`. */
export function linksPage(
  db: Kysely<LinksDb>,
  input: {
    circleId: string;
    includeInactive: boolean;
    now: Date;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
  },
) {
  const query = input.includeInactive
    ? db.selectFrom('invite_links').selectAll().where('circle_id', '=', input.circleId)
    : workingLinks(db, input.circleId, input.now).selectAll();
  return fetchPage(query, {
    columns: [{ ref: 'id', direction: 'desc' }],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `circle.ListInviteLinks|${input.circleId}|${input.includeInactive}`,
    keysOf: () => [],
    idOf: (row) => row.id,
  });
}
