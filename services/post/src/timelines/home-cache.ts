import { paginate } from '@kith/db';
import type { PageCursor } from '@kith/db';
import type { PostApp } from '../app.js';
import { visiblePosts } from '../posts/post-store.js';
import type { PostRecord } from '../posts/post-store.js';
import { homeReader, standingReposts } from './home-store.js';
import type { Entry, EntrySource } from './timeline-page.js';
import { entriesBy, homeEntries } from './timeline-store.js';

/** The newest entries a cached home timeline keeps. */
export const HOME_CAP = 800;
/** A list not read for this long expires: its owner counts as inactive and gets no fan-out. */
export const HOME_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const homeKey = (userId: string) => `post:home:${userId}`;

/** An entry as the list keeps it: `at|key|post|reposter`. */
export const encodeEntry = (e: Entry) =>
  `${e.at.getTime()}|${e.key}|${e.post_id}|${e.reposted_by ?? ''}`;

function decodeEntry(item: string): Entry | undefined {
  const [at, key, postId, by] = item.split('|');
  if (!at || !key || !postId) return undefined;
  return { at: new Date(Number(at)), key, post_id: postId, reposted_by: by || null };
}

/** Order of (at, key), the timelines' keyset. */
const compare = (a: Entry, b: Entry) =>
  a.at.getTime() - b.at.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

const KEYSET = (direction: 'asc' | 'desc') => [
  { ref: 't.at', direction },
  { ref: 't.key', direction },
];

/**
 * The home timeline from its cached list (hybrid fan-out): the list is read, or rebuilt from
 * Postgres when missing (a returning user); the posts of wide-reach authors the viewer follows
 * are merged in from Postgres; every candidate is checked as the Postgres path checks it
 * (visibility, mutes of author and reposter, the request's filters, reposts still standing),
 * so both paths answer the same page. A page that would reach past the oldest entry of a full
 * list is answered by the Postgres query instead.
 */
export function cachedHome(
  app: PostApp,
  viewer: string,
  now: Date,
  flags: { excludeReplies: boolean; excludeReposts: boolean },
): EntrySource {
  const db = app.database.db;
  const lists = app.ctx.lists;
  return async ({ cursor, direction, limit, checked }) => {
    const key = homeKey(viewer);
    let items = await lists.read(key, { ttlMs: HOME_TTL_MS });
    if (!items) {
      const rebuilt = await paginate(
        homeEntries(db, viewer, now, { excludeReplies: false, excludeReposts: false }),
        {
          columns: KEYSET('desc'),
          pageSize: HOME_CAP,
          sizes: { default: HOME_CAP, max: HOME_CAP },
        },
      ).execute();
      items = rebuilt.slice(0, HOME_CAP).map(encodeEntry);
      await lists.replace(key, items, { cap: HOME_CAP, ttlMs: HOME_TTL_MS });
    }
    const full = items.length >= HOME_CAP;
    const cached = items.map(decodeEntry).filter((e): e is Entry => e !== undefined);
    const oldest = cached.reduce<Entry | undefined>(
      (min, e) => (!min || compare(e, min) < 0 ? e : min),
      undefined,
    );
    const reader = await homeReader(db, viewer, now);
    const wide = reader.wideReach;
    const merged = wide.length
      ? await paginate(entriesBy(db, wide, viewer, now), {
          columns: KEYSET(direction),
          pageSize: limit,
          cursor,
        }).execute()
      : [];
    const after = (e: Entry) => {
      if (!cursor) return true;
      const c = compare(e, {
        at: cursor.keys[0] as Date,
        key: cursor.id,
        post_id: '',
        reposted_by: null,
      });
      return direction === 'desc' ? c < 0 : c > 0;
    };
    const byKey = new Map<string, Entry>();
    for (const e of [...cached, ...merged]) if (after(e)) byKey.set(e.key, e);
    const candidates = [...byKey.values()].sort((a, b) =>
      direction === 'desc' ? compare(b, a) : compare(a, b),
    );
    const page = await keptEntries(app, viewer, now, flags, candidates, limit, {
      muted: reader.muted,
      checked,
    });
    // A full list holds only the newest entries: a page that runs past its oldest, or a
    // forward page from before it, may need what the list dropped.
    const cursorEntry = cursor
      ? { at: new Date(cursor.keys[0] as Date), key: cursor.id, post_id: '', reposted_by: null }
      : undefined;
    const reachesPastList =
      full &&
      oldest !== undefined &&
      (direction === 'desc'
        ? page.length < limit
        : cursorEntry !== undefined && compare(cursorEntry, oldest) < 0);
    if (reachesPastList) return postgresPage(app, viewer, now, flags, cursor, direction, limit);
    return page;
  };
}

/**
 * The first `limit` candidates the Postgres path would also answer (none by a user in
 * `muted`), checked a chunk at a time; the visible rows of their posts go into `checked`.
 */
async function keptEntries(
  app: PostApp,
  viewer: string,
  now: Date,
  flags: { excludeReplies: boolean; excludeReposts: boolean },
  candidates: Entry[],
  limit: number,
  { muted, checked }: { muted: Set<string>; checked: Map<string, PostRecord> },
): Promise<Entry[]> {
  const db = app.database.db;
  const kept: Entry[] = [];
  for (let i = 0; i < candidates.length && kept.length < limit; i += limit * 2) {
    const chunk = candidates
      .slice(i, i + limit * 2)
      .filter((e) => !(flags.excludeReposts && e.reposted_by));
    const [posts, reposts] = await Promise.all([
      visiblePosts(
        db,
        viewer,
        chunk.map((e) => e.post_id),
        now,
      ),
      standingReposts(
        db,
        chunk.flatMap((e) => (e.reposted_by ? [e.key] : [])),
      ),
    ]);
    for (const e of chunk) {
      const post = posts.get(e.post_id);
      if (!post || muted.has(post.author_id)) continue;
      if (flags.excludeReplies && post.reply_to_post_id) continue;
      if (e.reposted_by && (muted.has(e.reposted_by) || !reposts.has(e.key))) continue;
      kept.push(e);
      checked.set(e.post_id, post);
      if (kept.length >= limit) break;
    }
  }
  return kept;
}

async function postgresPage(
  app: PostApp,
  viewer: string,
  now: Date,
  flags: { excludeReplies: boolean; excludeReposts: boolean },
  cursor: PageCursor | undefined,
  direction: 'asc' | 'desc',
  limit: number,
): Promise<Entry[]> {
  return paginate(homeEntries(app.database.db, viewer, now, flags), {
    columns: KEYSET(direction),
    pageSize: limit - 1,
    cursor,
  }).execute();
}
