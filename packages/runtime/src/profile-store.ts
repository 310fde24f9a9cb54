import type { MessageInitShape } from '@bufbuild/protobuf';
import type { UserSummarySchema } from '@kith/gen/kith/common/v1/common_pb.js';
import { withTables } from '@kith/db';
import type { AnyKysely } from '@kith/db';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { ConsumerSpec } from './module.js';
import { decodeEvent } from './events.js';

/**
 * A service's projection of the profiles it shows (UserSummary), from user.profile_updated by
 * version: the `users` table of circle and support. Create it with `createProfilesTable`.
 */
export interface ProfilesTable {
  user_id: string;
  username: string;
  display_name: string;
  avatar_url: string;
  locked: boolean;
  /** bigint: pg hands it back as a string. */
  version: string;
}

interface ProfileTables {
  users: ProfilesTable;
}

/** The `users` table a profile projection keeps (for a service's migration). */
export async function createProfilesTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('avatar_url', 'text', (c) => c.notNull().defaultTo(sql`''`))
    .addColumn('locked', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('version', 'bigint', (c) => c.notNull())
    .execute();
}

/**
 * Applies a user.profile_updated snapshot when its version is newer than the one held, so a
 * redelivered or replayed old event never overwrites a newer profile.
 */
export async function applyProfileSnapshot(
  db: AnyKysely,
  profile: Omit<ProfilesTable, 'version'> & { version: bigint },
): Promise<void> {
  await withTables<ProfileTables>(db)
    .insertInto('users')
    .values({ ...profile, version: profile.version.toString() })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet((eb) => ({
          username: eb.ref('excluded.username'),
          display_name: eb.ref('excluded.display_name'),
          avatar_url: eb.ref('excluded.avatar_url'),
          locked: eb.ref('excluded.locked'),
          version: eb.ref('excluded.version'),
        }))
        .where('users.version', '<', (eb) => eb.ref('excluded.version')),
    )
    .execute();
}

/** The summary of a user; a user not (yet) projected shows the id alone. */
export function profileSummary(
  userId: string,
  row:
    | { [K in 'username' | 'display_name' | 'avatar_url' | 'locked']: ProfilesTable[K] | null }
    | undefined,
): MessageInitShape<typeof UserSummarySchema> {
  return {
    userId,
    username: row?.username ?? '',
    displayName: row?.display_name ?? '',
    avatarUrl: row?.avatar_url ?? '',
    locked: row?.locked ?? false,
  };
}

/** The summaries of `userIds`, by id (one query). */
export async function profileSummaries(
  db: AnyKysely,
  userIds: readonly string[],
): Promise<Map<string, MessageInitShape<typeof UserSummarySchema>>> {
  const ids = [...new Set(userIds)];
  const rows =
    ids.length === 0
      ? []
      : await withTables<ProfileTables>(db)
          .selectFrom('users')
          .select(['user_id', 'username', 'display_name', 'avatar_url', 'locked'])
          .where('user_id', 'in', ids)
          .execute();
  const byId = new Map(rows.map((r) => [r.user_id, r]));
  return new Map(ids.map((id) => [id, profileSummary(id, byId.get(id))]));
}

/** The consumer that keeps the profile projection: user.profile_updated alone, by version. */
export function profilesFromUserEvents<DB>(): ConsumerSpec<DB> {
  return {
    durable: 'profiles-from-user',
    subjects: 'kith.events.user.profile_updated',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'userProfileUpdated') return;
      const p = payload.value;
      await applyProfileSnapshot(trx, {
        user_id: p.userId,
        username: p.username,
        display_name: p.displayName,
        avatar_url: p.avatarUrl,
        locked: p.locked,
        version: p.version,
      });
    },
  };
}
