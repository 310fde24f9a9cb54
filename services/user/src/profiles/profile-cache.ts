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

/**
 * Read-through for per-user entries: what the cache holds for `ids`, the rest from `load`
 * (written back for `ttlMs`). The cache failing reads as a miss and is only logged.
 */
async function readThrough<T>(
  app: UserApp,
  ids: readonly string[],
  entry: {
    what: string;
    key: (userId: string) => string;
    ttlMs: number;
    decode: (text: string) => T;
    load: (missing: string[]) => Promise<Iterable<[string, T]>>;
  },
): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  const cached = await Promise.all(
    ids.map((id) =>
      app.cache.get(entry.key(id)).catch((err: unknown) => {
        app.logger.warn({ err }, `${entry.what} cache read failed`);
        return null;
      }),
    ),
  );
  const missing: string[] = [];
  ids.forEach((id, i) => {
    const text = cached[i];
    if (text) found.set(id, entry.decode(text));
    else missing.push(id);
  });
  if (missing.length === 0) return found;
  await Promise.all(
    [...(await entry.load(missing))].map(async ([id, value]) => {
      found.set(id, value);
      await app.cache
        .set(entry.key(id), JSON.stringify(value), { ttlMs: entry.ttlMs })
        .catch((err: unknown) => {
          app.logger.warn({ err }, `${entry.what} cache write failed`);
        });
    }),
  );
  return found;
}

/** The rows of `ids` that exist, from the cache where it has them. */
export function cachedProfiles(
  app: UserApp,
  ids: readonly string[],
): Promise<Map<string, ProfileRow>> {
  return readThrough(app, ids, {
    what: 'profile',
    key: keyOf,
    ttlMs: TTL_MS,
    decode,
    load: async (missing) =>
      (await findProfiles(withTables<ProfilesDb>(app.database.db), missing)).map(
        (row) => [row.user_id, row] as [string, ProfileRow],
      ),
  });
}

const COUNTS_TTL_MS = 10_000;
const countsKeyOf = (userId: string) => `user:follow-counts:v1:${userId}`;

/**
 * Follower and following counts of `ids`, from the cache where it has them. A commit that
 * changes a count drops the entry before the change's RPC answers (`watchFollowCounts`); the
 * TTL bounds what a cache write racing that change could leave behind.
 */
export function cachedFollowCounts(
  app: UserApp,
  ids: readonly string[],
): Promise<Map<string, FollowCounts>> {
  return readThrough(app, ids, {
    what: 'follow counts',
    key: countsKeyOf,
    ttlMs: COUNTS_TTL_MS,
    decode: (text) => JSON.parse(text) as FollowCounts,
    load: (missing) => followCounts(withTables<GraphDb>(app.database.db), missing),
  });
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
async function forgetCachedProfile(
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
