import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { CircleDatabase, CirclesTable, MembersTable, StoredRule } from '../db/schema.js';
import { searchColumns } from '../search/search-text.js';

/** A circle as read (its search and moderation bookkeeping columns are theirs alone). */
export type CircleRow = Omit<
  Selectable<CirclesTable>,
  'search_name' | 'search_text' | 'moderation_version' | 'removed_by_moderation'
>;
export type MemberRow = Selectable<MembersTable>;
/** The stores take the whole schema: one service, one schema. */
export type CirclesDb = CircleDatabase;

const circleColumns = [
  'circles.id',
  'circles.owner_id',
  'circles.name',
  'circles.description',
  'circles.avatar_media_id',
  'circles.avatar_owner_id',
  'circles.avatar_url',
  'circles.join_rule',
  'circles.member_cap',
  'circles.discoverable',
  'circles.member_count',
  'circles.rules',
  'circles.rules_version',
  'circles.version',
  'circles.moderation_state',
  'circles.created_at',
  'circles.updated_at',
  'circles.active_at',
  'circles.deleted_at',
  'circles.purge_at',
] as const;

/** The membership columns read alongside a circle, prefixed so they never shadow its own. */
const memberColumns = [
  'members.user_id as m_user_id',
  'members.role as m_role',
  'members.joined_via as m_joined_via',
  'members.joined_at as m_joined_at',
  'members.responder as m_responder',
  'members.primary_contact as m_primary_contact',
  'members.quiet_hours_enabled as m_quiet_hours_enabled',
  'members.quiet_start_minute as m_quiet_start_minute',
  'members.quiet_end_minute as m_quiet_end_minute',
  'members.quiet_time_zone as m_quiet_time_zone',
] as const;

type Prefixed = {
  [K in keyof MemberRow as K extends 'circle_id' ? never : `m_${K}`]: MemberRow[K] | null;
};

/**
 * The circle of a row read with circleColumns (`rules` apart: a list reads none). Built field
 * by field, as membershipOf is: an object rest over the row (`{ m_role, …, ...circle }`) costs
 * several times more, and ListMyCircles splits 50 rows per call.
 */
function circleOf(row: Omit<CircleRow, 'rules'>, rules: StoredRule[]): CircleRow {
  return {
    id: row.id,
    owner_id: row.owner_id,
    name: row.name,
    description: row.description,
    avatar_media_id: row.avatar_media_id,
    avatar_owner_id: row.avatar_owner_id,
    avatar_url: row.avatar_url,
    join_rule: row.join_rule,
    member_cap: row.member_cap,
    discoverable: row.discoverable,
    member_count: row.member_count,
    rules,
    rules_version: row.rules_version,
    version: row.version,
    moderation_state: row.moderation_state,
    created_at: row.created_at,
    updated_at: row.updated_at,
    active_at: row.active_at,
    deleted_at: row.deleted_at,
    purge_at: row.purge_at,
  };
}

/** The membership in a row read with memberColumns; undefined when the row has none. */
function membershipOf(circleId: string, row: Prefixed): MemberRow | undefined {
  if (row.m_user_id === null) return undefined;
  return {
    circle_id: circleId,
    user_id: row.m_user_id,
    role: row.m_role!,
    joined_via: row.m_joined_via!,
    joined_at: row.m_joined_at!,
    responder: row.m_responder!,
    primary_contact: row.m_primary_contact!,
    quiet_hours_enabled: row.m_quiet_hours_enabled!,
    quiet_start_minute: row.m_quiet_start_minute,
    quiet_end_minute: row.m_quiet_end_minute,
    quiet_time_zone: row.m_quiet_time_zone,
  };
}

export async function insertCircle(
  db: Kysely<CirclesDb>,
  row: Omit<
    CircleRow,
    | 'member_count'
    | 'rules'
    | 'rules_version'
    | 'version'
    | 'moderation_state'
    | 'deleted_at'
    | 'purge_at'
  > & {
    rules: StoredRule[];
  },
): Promise<void> {
  await db
    .insertInto('circles')
    // addMember counts the owner in, as every member after them.
    .values({
      ...row,
      ...searchColumns(row.name, row.description),
      member_count: 0,
      rules: JSON.stringify(row.rules),
      deleted_at: null,
      purge_at: null,
    })
    .execute();
}

/**
 * The circle and `userId`'s membership of it (undefined when not a member), in one statement;
 * `lock` takes the circle's row lock (FOR UPDATE of the circle only).
 */
export async function circleForMember(
  db: Kysely<CirclesDb>,
  circleId: string,
  userId: string,
  lock: boolean,
): Promise<{ circle: CircleRow; membership: MemberRow | undefined } | undefined> {
  let query = db
    .selectFrom('circles')
    .leftJoin('members', (join) =>
      join.onRef('members.circle_id', '=', 'circles.id').on('members.user_id', '=', userId),
    )
    .select(circleColumns)
    .select(memberColumns)
    .where('circles.id', '=', circleId);
  if (lock) query = query.forUpdate('circles');
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  return { circle: circleOf(row, row.rules), membership: membershipOf(row.id, row) };
}

/** The circle's own fields UpdateCircle, SetCircleRules and TransferOwnership change. */
export type CircleChanges = Partial<
  Pick<
    CircleRow,
    | 'name'
    | 'description'
    | 'avatar_media_id'
    | 'avatar_owner_id'
    | 'avatar_url'
    | 'join_rule'
    | 'member_cap'
    | 'discoverable'
    | 'owner_id'
    | 'deleted_at'
    | 'purge_at'
  > & {
    rules: StoredRule[];
    /** The name and description after the change, when either changes: the search columns. */
    search: { name: string; description: string };
  }
>;

/** Applies `changes`, bumps the circle's version (and the rules' when they change). */
export async function updateCircleRow(
  db: Kysely<CirclesDb>,
  circleId: string,
  changes: CircleChanges,
  now: Date,
): Promise<CircleRow> {
  const { rules, search, ...rest } = changes;
  return db
    .updateTable('circles')
    .set({
      ...rest,
      ...(search && searchColumns(search.name, search.description)),
      ...(rules !== undefined && {
        rules: JSON.stringify(rules),
        rules_version: sql<number>`rules_version + 1`,
      }),
      version: sql<string>`version + 1`,
      updated_at: now,
      active_at: now,
    })
    .where('id', '=', circleId)
    .returning(circleColumns.map((c) => c.replace('circles.', '') as keyof CircleRow))
    .executeTakeFirstOrThrow();
}

/** A listed circle (lists carry no rules) with the caller's membership and its version. */
export interface MyCircleRow {
  circle: CircleRow;
  membership: MemberRow;
  membershipVersion: bigint;
}

/** ListMyCircles: the caller's circles, most recently active first (one statement). */
export async function myCirclesPage(
  db: Kysely<CirclesDb>,
  input: {
    userId: string;
    includeDeleted: boolean;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
  },
) {
  let query = db
    .selectFrom('members')
    .innerJoin('circles', 'circles.id', 'members.circle_id')
    .leftJoin('membership_versions as v', (join) =>
      join
        .onRef('v.circle_id', '=', 'members.circle_id')
        .onRef('v.user_id', '=', 'members.user_id'),
    )
    .select(circleColumns.filter((c) => c !== 'circles.rules'))
    .select(memberColumns)
    .select('v.version as m_version')
    .where('members.user_id', '=', input.userId);
  // A deleted circle is its OWNER's alone, and only when asked for.
  query = input.includeDeleted
    ? query.where((eb) => eb.or([eb('circles.deleted_at', 'is', null), eb('members.role', '=', 1)]))
    : query.where('circles.deleted_at', 'is', null);
  const page = await fetchPage(query, {
    columns: [
      { ref: 'circles.active_at', direction: 'desc' },
      { ref: 'circles.id', direction: 'desc' },
    ],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `circle.ListMyCircles|${input.userId}|${input.includeDeleted}`,
    keysOf: (row) => [row.active_at],
    idOf: (row) => row.id,
  });
  return {
    nextPageToken: page.nextPageToken,
    items: page.items.map((row): MyCircleRow => ({
      circle: circleOf(row, []),
      // The statement starts from the caller's memberships: every row has one.
      membership: membershipOf(row.id, row)!,
      membershipVersion: BigInt(row.m_version ?? 0),
    })),
  };
}

/** The deleted circle whose restore window ended longest ago, locked (skipping locked ones). */
export function nextPurgeable(db: Kysely<CirclesDb>, now: Date) {
  return db
    .selectFrom('circles')
    .select(['id', 'owner_id', 'avatar_media_id', 'avatar_owner_id', 'version'])
    .where('purge_at', '<=', now)
    .orderBy('purge_at')
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
}

/** Deletes a circle for good: its members and audit log go with it, and its versions. */
export async function deleteCircleRow(db: Kysely<CirclesDb>, circleId: string): Promise<void> {
  await db.deleteFrom('membership_versions').where('circle_id', '=', circleId).execute();
  await db.deleteFrom('circles').where('id', '=', circleId).execute();
}

/** The circles of `ids`, by id (one query). */
export async function circlesByIds(
  db: Kysely<CirclesDb>,
  ids: readonly string[],
): Promise<Map<string, CircleRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('circles')
    .select(circleColumns)
    .where('circles.id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}
