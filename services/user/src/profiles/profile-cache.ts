import { withTables } from '@kith/db';
import type { CommitHook } from '@kith/db';
import type { UserApp } from '../app.js';
import { FOLLOW_COUNTS_CHANGED } from '../graph/count-changes.js';
import { followCounts } from '../graph/relationship-store.js';
import type { GraphDb } from '../graph/relationship-store.js';
import { findProfiles } from './profile-store.js';
import type { ProfileRow, ProfilesDb } from './profile-store.js';

type FollowCounts = { followers: number; following: number };

/**
 * The viewer-independent part of profiles (the row: fields and what hides it), cached per user
 * for a short time. Every change to it drops the entry once committed (`forgetOnCommit`):
 * UpdateProfile, auth's disabling and enabling, moderation's enforcement, the deletion mark.
 * What depends on the viewer (blocks, relationship) and the follow counts are always read
 * fresh. The TTL bounds what a cache write racing a change could leave behind.
 */
const TTL_MS = 10_000;
const keyOf = (userId: string) => `user:profile:v1:${userId}`;

const dateFields = [
  'created_at',
  'deleted_at',
  'deletion_scheduled_for',
  'deletion_requested_at',
  'disabled_at',
  'moderation_suspended_until',
] as const;

function decode(text: string): ProfileRow {
  const raw = JSON.parse(text) as Record<string, unknown>;
  for (const field of dateFields) {
    const value = raw[field];
    raw[field] = typeof value === 'string' ? new Date(value) : null;
  }
  return raw as unknown as ProfileRow;
}

/** The rows of `ids` that exist, from the cache where it has them. */
export async function cachedProfiles(
  app: UserApp,
  ids: readonly string[],
): Promise<Map<string, ProfileRow>> {
  const found = new Map<string, ProfileRow>();
  const cached = await Promise.all(
    ids.map((id) =>
      app.cache.get(keyOf(id)).catch((err: unknown) => {
        app.logger.warn({ err }, 'profile cache read failed');
        return null;
      }),
    ),
  );
  const missing: string[] = [];
  ids.forEach((id, i) => {
    const text = cached[i];
    if (text) found.set(id, decode(text));
    else missing.push(id);
  });
  if (missing.length === 0) return found;
  const rows = await findProfiles(withTables<ProfilesDb>(app.database.db), missing);
  await Promise.all(
    rows.map(async (row) => {
      found.set(row.user_id, row);
      await app.cache
        .set(keyOf(row.user_id), JSON.stringify(row), { ttlMs: TTL_MS })
        .catch((err: unknown) => {
          app.logger.warn({ err }, 'profile cache write failed');
        });
    }),
  );
  return found;
}

const COUNTS_TTL_MS = 10_000;
const countsKeyOf = (userId: string) => `user:follow-counts:v1:${userId}`;

/**
 * Follower and following counts of `ids`, from the cache where it has them. A commit that
 * changes a count drops the entry before the change's RPC answers (`watchFollowCounts`); the
 * TTL bounds what a cache write racing that change could leave behind.
 */
export async function cachedFollowCounts(
  app: UserApp,
  ids: readonly string[],
): Promise<Map<string, FollowCounts>> {
  const found = new Map<string, FollowCounts>();
  const cached = await Promise.all(
    ids.map((id) =>
      app.cache.get(countsKeyOf(id)).catch((err: unknown) => {
        app.logger.warn({ err }, 'follow counts cache read failed');
        return null;
      }),
    ),
  );
  const missing: string[] = [];
  ids.forEach((id, i) => {
    const text = cached[i];
    if (text) found.set(id, JSON.parse(text) as FollowCounts);
    else missing.push(id);
  });
  if (missing.length === 0) return found;
  const fresh = await followCounts(withTables<GraphDb>(app.database.db), missing);
  await Promise.all(
    [...fresh].map(async ([id, counts]) => {
      found.set(id, counts);
      await app.cache
        .set(countsKeyOf(id), JSON.stringify(counts), { ttlMs: COUNTS_TTL_MS })
        .catch((err: unknown) => {
          app.logger.warn({ err }, 'follow counts cache write failed');
        });
    }),
  );
  return found;
}

/** Drops the cached counts of every user a committed follow change counted; returns the unsubscribe. */
export function watchFollowCounts(app: UserApp): () => void {
  return app.database.onCommitted(FOLLOW_COUNTS_CHANGED, async (userIds) => {
    await Promise.all(
      userIds.map((id) =>
        app.cache.del(countsKeyOf(id)).catch((err: unknown) => {
          app.logger.warn({ err }, 'follow counts cache drop failed');
        }),
      ),
    );
  });
}

/** Drops a cached profile now. */
export async function forgetCachedProfile(
  app: Pick<UserApp, 'cache' | 'logger'>,
  userId: string,
): Promise<void> {
  await app.cache.del(keyOf(userId)).catch((err: unknown) => {
    app.logger.warn({ err }, 'profile cache drop failed');
  });
}

/** Drops a cached profile once the transaction that changes it has committed. */
export function forgetOnCommit(
  app: Pick<UserApp, 'cache' | 'logger'>,
  trx: { onCommit(fn: CommitHook): void },
  userId: string,
): void {
  trx.onCommit(() => forgetCachedProfile(app, userId));
}
