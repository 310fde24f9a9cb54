import { applyEdgeEvent } from '@kith/db';
import type { EdgeEvent } from '@kith/db';
import type { Kysely } from 'kysely';
import type { PostDatabase } from '../db/schema.js';

/** One versioned edge event: `active` when the edge now exists (followed, blocked, muted). */
interface EdgeChange {
  fromId: string;
  toId: string;
  active: boolean;
  version: bigint;
}

const edge = (kind: 'follow' | 'block' | 'mute', e: EdgeChange): EdgeEvent => ({
  kind,
  fromId: e.fromId,
  toId: e.toId,
  version: e.version,
});

/**
 * user.followed / user.unfollowed: the follow row exists only while the edge is active. The
 * version applied per edge is kept apart (applied_edge_versions), so a replayed old followed
 * after the unfollowed that ended it changes nothing. Returns whether the event was applied.
 */
export function applyFollow(db: Kysely<PostDatabase>, e: EdgeChange): Promise<boolean> {
  return applyEdgeEvent(db, edge('follow', e), async () => {
    if (e.active) {
      await db
        .insertInto('follows')
        .values({ follower_id: e.fromId, followee_id: e.toId })
        .onConflict((oc) => oc.doNothing())
        .execute();
    } else {
      await db
        .deleteFrom('follows')
        .where('follower_id', '=', e.fromId)
        .where('followee_id', '=', e.toId)
        .execute();
    }
  });
}

/** user.blocked / user.unblocked, by the block edge's version. */
export function applyBlock(db: Kysely<PostDatabase>, e: EdgeChange): Promise<boolean> {
  return applyEdgeEvent(db, edge('block', e), async () => {
    if (e.active) {
      await db
        .insertInto('blocks')
        .values({ blocker_id: e.fromId, blocked_id: e.toId })
        .onConflict((oc) => oc.doNothing())
        .execute();
    } else {
      await db
        .deleteFrom('blocks')
        .where('blocker_id', '=', e.fromId)
        .where('blocked_id', '=', e.toId)
        .execute();
    }
  });
}

/**
 * user.muted (a new mute or a changed one: its expiry is replaced) / user.unmuted, by the
 * mute edge's version. `expiresAt` null: until unmuted.
 */
export function applyMute(
  db: Kysely<PostDatabase>,
  e: EdgeChange & { expiresAt: Date | null },
): Promise<boolean> {
  return applyEdgeEvent(db, edge('mute', e), async () => {
    if (e.active) {
      await db
        .insertInto('mutes')
        .values({ muter_id: e.fromId, muted_id: e.toId, expires_at: e.expiresAt })
        .onConflict((oc) =>
          oc
            .columns(['muter_id', 'muted_id'])
            .doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') })),
        )
        .execute();
    } else {
      await db
        .deleteFrom('mutes')
        .where('muter_id', '=', e.fromId)
        .where('muted_id', '=', e.toId)
        .execute();
    }
  });
}
