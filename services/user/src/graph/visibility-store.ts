import type { Generated, Kysely } from 'kysely';

export interface BlockTable {
  blocker_id: string;
  blocked_id: string;
  created_at: Generated<Date>;
}

export interface MuteTable {
  muter_id: string;
  muted_id: string;
  /** The muted user's notifications are dropped too. */
  include_notifications: boolean;
  /** Null = until unmuted. A mute past this time no longer applies, even before the daemon ends it. */
  expires_at: Date | null;
  created_at: Generated<Date>;
}

/** The tables every area reads to hide blocked and muted users. */
export interface BlocksDb {
  blocks: BlockTable;
  mutes: MuteTable;
}

/** Whether either user blocks the other. */
export async function blockedEitherWay(
  db: Kysely<BlocksDb>,
  a: string,
  b: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('blocks')
    .select('blocker_id')
    .where((eb) =>
      eb.or([
        eb.and([eb('blocker_id', '=', a), eb('blocked_id', '=', b)]),
        eb.and([eb('blocker_id', '=', b), eb('blocked_id', '=', a)]),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Of `ids`, those who block `viewerId` or whom `viewerId` blocks. */
export async function blockedAmong(
  db: Kysely<BlocksDb>,
  viewerId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('blocks')
    .select(['blocker_id', 'blocked_id'])
    .where((eb) =>
      eb.or([
        eb.and([eb('blocker_id', '=', viewerId), eb('blocked_id', 'in', ids)]),
        eb.and([eb('blocked_id', '=', viewerId), eb('blocker_id', 'in', ids)]),
      ]),
    )
    .execute();
  return new Set(
    rows.map((row) => (row.blocker_id === viewerId ? row.blocked_id : row.blocker_id)),
  );
}

/** Whether `muterId` mutes `mutedId` with their notifications at `now`. */
export async function mutesNotificationsOf(
  db: Kysely<BlocksDb>,
  muterId: string,
  mutedId: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .selectFrom('mutes')
    .select('muter_id')
    .where('muter_id', '=', muterId)
    .where('muted_id', '=', mutedId)
    .where('include_notifications', '=', true)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  return row !== undefined;
}
