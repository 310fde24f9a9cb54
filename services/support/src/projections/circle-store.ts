import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { SupportDatabase } from '../db/schema.js';

type Db = Kysely<SupportDatabase>;

/** The safety flags support reads (kith.circle.v1.MemberSafety). */
export interface SafetyFlags {
  responder: boolean;
  primaryContact: boolean;
}

/** A join or a leave: the flags start (or end) all off. */
export const NO_SAFETY: SafetyFlags = { responder: false, primaryContact: false };

/** Makes sure the circle has a row (not deleted, version 0), so member queries can join on it. */
async function ensureCircle(db: Db, circleId: string): Promise<void> {
  await db
    .insertInto('circles')
    .values({ circle_id: circleId, deleted: false, version: '0' })
    .onConflict((oc) => oc.column('circle_id').doNothing())
    .execute();
}

/**
 * A membership event: the role (0 once gone) as of `version` unless a newer role is held, and
 * with `safety` the flags likewise (a join and a leave reset them). Gone memberships keep their
 * row, so a replayed older join never brings them back.
 */
export async function applyMembership(
  db: Db,
  m: { circleId: string; userId: string; role: number; safety: SafetyFlags; version: bigint },
): Promise<void> {
  if (m.role > 0) await ensureCircle(db, m.circleId);
  const version = m.version.toString();
  await db
    .insertInto('circle_members')
    .values({
      circle_id: m.circleId,
      user_id: m.userId,
      role: m.role,
      responder: m.safety.responder,
      primary_contact: m.safety.primaryContact,
      role_version: version,
      safety_version: version,
    })
    .onConflict((oc) =>
      oc.columns(['circle_id', 'user_id']).doUpdateSet({
        role: sql`case when circle_members.role_version < excluded.role_version
          then excluded.role else circle_members.role end`,
        role_version: sql`greatest(circle_members.role_version, excluded.role_version)`,
        responder: sql`case when circle_members.safety_version < excluded.safety_version
          then excluded.responder else circle_members.responder end`,
        primary_contact: sql`case when circle_members.safety_version < excluded.safety_version
          then excluded.primary_contact else circle_members.primary_contact end`,
        safety_version: sql`greatest(circle_members.safety_version, excluded.safety_version)`,
      }),
    )
    .execute();
}

/** circle.role_changed: the role alone, by version. */
export async function applyRole(
  db: Db,
  m: { circleId: string; userId: string; role: number; version: bigint },
): Promise<void> {
  await ensureCircle(db, m.circleId);
  await db
    .insertInto('circle_members')
    .values({
      circle_id: m.circleId,
      user_id: m.userId,
      role: m.role,
      role_version: m.version.toString(),
      safety_version: '0',
    })
    .onConflict((oc) =>
      oc
        .columns(['circle_id', 'user_id'])
        .doUpdateSet((eb) => ({
          role: eb.ref('excluded.role'),
          role_version: eb.ref('excluded.role_version'),
        }))
        .where('circle_members.role_version', '<', (eb) => eb.ref('excluded.role_version')),
    )
    .execute();
}

/** circle.safety_role_changed: the flags alone, by version. */
export async function applySafety(
  db: Db,
  m: { circleId: string; userId: string; safety: SafetyFlags; version: bigint },
): Promise<void> {
  await db
    .insertInto('circle_members')
    .values({
      circle_id: m.circleId,
      user_id: m.userId,
      role: 0,
      responder: m.safety.responder,
      primary_contact: m.safety.primaryContact,
      role_version: '0',
      safety_version: m.version.toString(),
    })
    .onConflict((oc) =>
      oc
        .columns(['circle_id', 'user_id'])
        .doUpdateSet((eb) => ({
          responder: eb.ref('excluded.responder'),
          primary_contact: eb.ref('excluded.primary_contact'),
          safety_version: eb.ref('excluded.safety_version'),
        }))
        .where('circle_members.safety_version', '<', (eb) => eb.ref('excluded.safety_version')),
    )
    .execute();
}

/** circle.deleted (deleted) / circle.restored, by the circle's version. */
export async function applyCircleDeletion(
  db: Db,
  c: { circleId: string; deleted: boolean; version: bigint },
): Promise<void> {
  await db
    .insertInto('circles')
    .values({ circle_id: c.circleId, deleted: c.deleted, version: c.version.toString() })
    .onConflict((oc) =>
      oc
        .column('circle_id')
        .doUpdateSet((eb) => ({
          deleted: eb.ref('excluded.deleted'),
          version: eb.ref('excluded.version'),
        }))
        .where('circles.version', '<', (eb) => eb.ref('excluded.version')),
    )
    .execute();
}

/**
 * circle.purged: the memberships go and the circle stays a deleted tombstone at the purge's
 * version. Incidents open in it keep the members they already alerted.
 */
export async function purgeCircle(db: Db, circleId: string, version: bigint): Promise<void> {
  await db.deleteFrom('circle_members').where('circle_id', '=', circleId).execute();
  await db
    .insertInto('circles')
    .values({ circle_id: circleId, deleted: true, version: version.toString() })
    .onConflict((oc) =>
      oc.column('circle_id').doUpdateSet({
        deleted: true,
        version: sql`greatest(circles.version, excluded.version)`,
      }),
    )
    .execute();
}

/** Whether the projection has heard of the circle at all. */
export async function knowsCircle(db: Db, circleId: string): Promise<boolean> {
  const row = await db
    .selectFrom('circles')
    .select('circle_id')
    .where('circle_id', '=', circleId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Of `circleIds`, those the user is a member of and that are not deleted. */
export async function memberCircles(
  db: Db,
  userId: string,
  circleIds: readonly string[],
): Promise<string[]> {
  if (circleIds.length === 0) return [];
  const rows = await db
    .selectFrom('circle_members as m')
    .innerJoin('circles as c', 'c.circle_id', 'm.circle_id')
    .select('m.circle_id')
    .where('m.user_id', '=', userId)
    .where('m.role', '>', 0)
    .where('c.deleted', '=', false)
    .where('m.circle_id', 'in', circleIds)
    .execute();
  return rows.map((r) => r.circle_id);
}

/** Every circle the user is a member of (not deleted), at most 500. */
export async function circlesOf(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('circle_members as m')
    .innerJoin('circles as c', 'c.circle_id', 'm.circle_id')
    .select('m.circle_id')
    .where('m.user_id', '=', userId)
    .where('m.role', '>', 0)
    .where('c.deleted', '=', false)
    .orderBy('m.circle_id')
    .limit(500)
    .execute();
  return rows.map((r) => r.circle_id);
}

/**
 * The members of `circleIds` (deleted circles included: an incident open in a circle keeps
 * running after its deletion), without `exceptUserId`, optionally only those with a flag.
 */
export async function membersOf(
  db: Db,
  circleIds: readonly string[],
  exceptUserId: string,
  only?: 'responder' | 'primary_contact',
): Promise<string[]> {
  if (circleIds.length === 0) return [];
  let query = db
    .selectFrom('circle_members')
    .select('user_id')
    .distinct()
    .where('circle_id', 'in', circleIds)
    .where('role', '>', 0)
    .where('user_id', '!=', exceptUserId);
  if (only) query = query.where(only, '=', true);
  const rows = await query.orderBy('user_id').limit(10_000).execute();
  return rows.map((r) => r.user_id);
}
