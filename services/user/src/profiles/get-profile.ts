import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ProfileSchema } from '@kith/gen/kith/user/v1/types_pb.js';
import { withTables } from '@kith/db';
import { NotFoundError } from '@kith/errors';
import type { Caller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import { relationshipsOf } from '../graph/relationship-store.js';
import type { GraphDb } from '../graph/relationship-store.js';
import { cachedFollowCounts, cachedProfiles } from './profile-cache.js';
import { blockersOf, findProfileIdByUsername } from './profile-store.js';
import type { ProfilesDb } from './profile-store.js';
import { hiddenFromOthers, profileMessage } from './profile-view.js';

type Profile = MessageInitShape<typeof ProfileSchema>;

/**
 * The profiles of `ids` the caller may see, in the order asked: NotFound-worthy ones (a user who
 * blocks the caller; disabled, suspended, banned, deletion pending or erased, unless it is the
 * caller's own) are left out. Counts (cached like the row) are zero when the lists are hidden from the caller; the
 * relationship is unset for an anonymous caller and on the caller's own profile.
 */
async function visibleProfiles(
  app: UserApp,
  caller: Caller,
  ids: readonly string[],
): Promise<Profile[]> {
  const viewerId = caller.principal?.userId;
  const graph = withTables<GraphDb>(app.database.db);
  const rows = await cachedProfiles(app, ids);
  const candidates = ids.filter((id) => {
    const row = rows.get(id);
    return row !== undefined && (id === viewerId || !hiddenFromOthers(row, caller.now));
  });
  if (candidates.length === 0) return [];
  const others = viewerId ? candidates.filter((id) => id !== viewerId) : [];
  const [blockers, counts, relationships] = await Promise.all([
    viewerId ? blockersOf(graph, viewerId, others) : new Set<string>(),
    cachedFollowCounts(app, candidates),
    viewerId ? relationshipsOf(graph, viewerId, others, caller.now) : [],
  ]);
  const relationshipOf = new Map(relationships.map((r) => [r.userId, r]));
  return candidates
    .filter((id) => !blockers.has(id))
    .map((id) =>
      profileMessage(rows.get(id)!, {
        isOwner: id === viewerId,
        counts: counts.get(id) ?? { followers: 0, following: 0 },
        relationship: relationshipOf.get(id),
      }),
    );
}

export type ProfileLookup = { userId: string } | { username: string };

/** One profile by id or (case-insensitive) username; NotFound when the caller may not see it. */
export async function getProfile(
  app: UserApp,
  caller: Caller,
  lookup: ProfileLookup,
): Promise<Profile> {
  const userId =
    'userId' in lookup
      ? lookup.userId
      : await findProfileIdByUsername(withTables<ProfilesDb>(app.database.db), lookup.username);
  const [profile] = userId ? await visibleProfiles(app, caller, [userId]) : [];
  if (!profile) throw new NotFoundError('profile not found');
  return profile;
}

/** Up to 100 profiles by id, in the order asked; invisible ones left out. */
export async function getProfiles(
  app: UserApp,
  caller: Caller,
  ids: readonly string[],
): Promise<Profile[]> {
  return visibleProfiles(app, caller, [...new Set(ids)]);
}
