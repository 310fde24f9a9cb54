import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { PostDatabase } from '../db/schema.js';
import { POST_COLUMNS } from '../posts/post-store.js';

/**
 * Makes sure the circle has a row, so membership checks can join on it: a circle post has not
 * heard of yet is taken as not deleted, at version 0 (its circle.deleted, whatever its version,
 * is newer).
 */
async function ensureCircle(db: Kysely<PostDatabase>, circleId: string): Promise<void> {
  await db
    .insertInto('circles')
    .values({ circle_id: circleId, deleted: false, version: '0' })
    .onConflict((oc) => oc.column('circle_id').doNothing())
    .execute();
}

/**
 * A membership as of `version` (role 0 once the member left or was removed), unless a newer
 * one is held; a membership post does not hold yet is inserted, a gone one too, so a replayed
 * older join never brings it back.
 */
export async function applyMembership(
  db: Kysely<PostDatabase>,
  m: { circleId: string; userId: string; role: number; version: bigint },
): Promise<void> {
  if (m.role > 0) await ensureCircle(db, m.circleId);
  await db
    .insertInto('circle_members')
    .values({
      circle_id: m.circleId,
      user_id: m.userId,
      role: m.role,
      version: m.version.toString(),
    })
    .onConflict((oc) =>
      oc
        .columns(['circle_id', 'user_id'])
        .doUpdateSet((eb) => ({
          role: eb.ref('excluded.role'),
          version: eb.ref('excluded.version'),
        }))
        .where('circle_members.version', '<', (eb) => eb.ref('excluded.version')),
    )
    .execute();
}

/** circle.deleted (deleted) / circle.restored, by the circle's version. */
export async function applyCircleDeletion(
  db: Kysely<PostDatabase>,
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
 * circle.purged: post drops the circle's memberships and hides and keeps the circle only as a
 * deleted tombstone at the purge's version, so a replayed old membership event can never open
 * the posts still naming it.
 */
export async function purgeCircle(
  db: Kysely<PostDatabase>,
  circleId: string,
  version: bigint,
): Promise<void> {
  await db.deleteFrom('circle_hides').where('circle_id', '=', circleId).execute();
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

/** The live posts addressed to this circle alone (circle.purged deletes them). */
export async function postsOnlyIn(db: Kysely<PostDatabase>, circleId: string) {
  return db
    .selectFrom('posts as p')
    .select(POST_COLUMNS)
    .where('p.deleted_at', 'is', null)
    .where(sql<boolean>`p.circle_ids = array[${circleId}::uuid]`)
    .forUpdate()
    .execute();
}

/**
 * circle.post_hidden (active, with its reason and note) / circle.post_unhidden, by the hide's
 * version. An unhide keeps the reason, note and time of the hide it ends.
 */
export async function applyHide(
  db: Kysely<PostDatabase>,
  h: {
    circleId: string;
    postId: string;
    active: boolean;
    /** kith.circle.v1.HideReason; 0 for an unhide. */
    reason: number;
    note: string;
    at: Date;
    version: bigint;
  },
): Promise<void> {
  await db
    .insertInto('circle_hides')
    .values({
      circle_id: h.circleId,
      post_id: h.postId,
      active: h.active,
      reason: h.reason,
      note: h.note,
      hidden_at: h.at,
      version: h.version.toString(),
    })
    .onConflict((oc) =>
      oc
        .columns(['circle_id', 'post_id'])
        .doUpdateSet((eb) =>
          h.active
            ? {
                active: eb.ref('excluded.active'),
                reason: eb.ref('excluded.reason'),
                note: eb.ref('excluded.note'),
                hidden_at: eb.ref('excluded.hidden_at'),
                version: eb.ref('excluded.version'),
              }
            : { active: eb.ref('excluded.active'), version: eb.ref('excluded.version') },
        )
        .where('circle_hides.version', '<', (eb) => eb.ref('excluded.version')),
    )
    .execute();
}
