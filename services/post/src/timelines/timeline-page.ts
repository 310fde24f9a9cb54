import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { normalizePageSize, paginate, toPage } from '@kith/db';
import type { PageCursor } from '@kith/db';
import type { TimelineItemSchema } from '@kith/gen/kith/post/v1/types_pb.js';
import type { SelectQueryBuilder } from 'kysely';
import type { PostApp } from '../app.js';
import type { PostDatabase } from '../db/schema.js';
import { visiblePosts } from '../posts/post-store.js';
import type { PostRecord } from '../posts/post-store.js';
import { postMessages } from '../posts/post-view.js';
import { summariesOf } from '../posts/view-store.js';
import type { Viewer } from '../posts/visibility-store.js';

/**
 * One timeline entry: a post at its own time, or a repost of it at the repost's time (`key`
 * is the post's id or the repost's, both UUIDv7).
 */
export interface Entry {
  post_id: string;
  at: Date;
  key: string;
  reposted_by: string | null;
}

export type EntryQuery = SelectQueryBuilder<PostDatabase & { t: Entry }, 't', Entry>;

/**
 * Where a page's entries come from: a query (paged here), or a function that fetches up to
 * `limit` entries after `cursor` in `direction` itself (the cached home timeline). A function
 * that has already read the visible rows of the posts it returns puts them in `checked`, so
 * they are not read again for the same page.
 */
export type EntrySource =
  | EntryQuery
  | ((page: {
      cursor: PageCursor | undefined;
      direction: 'asc' | 'desc';
      limit: number;
      checked: Map<string, PostRecord>;
    }) => Promise<Entry[]>);

export interface TimelineRequest {
  pageSize: number;
  pageToken: string;
  /** Only where the contract pages forward. */
  newerThanPageToken?: string;
}

export interface TimelinePage {
  items: MessageInitShape<typeof TimelineItemSchema>[];
  nextPageToken: string;
  prevPageToken: string;
}

/**
 * A page of timeline entries, newest first: back from `page_token`, or forward from
 * `newer_than_page_token` (the entries just newer, still newest first). `next_page_token`
 * continues back; `prev_page_token` asks for what is newer than the page (the same token again
 * when nothing is). Tokens are bound to the timeline and their direction.
 */
export async function timelinePage(
  app: PostApp,
  viewer: Viewer,
  now: Date,
  source: EntrySource,
  req: TimelineRequest,
  binding: string,
): Promise<TimelinePage> {
  const older = `${binding}:older`;
  const newer = `${binding}:newer`;
  const forward = Boolean(req.newerThanPageToken);
  const cursor = forward
    ? app.pageTokens.decode(req.newerThanPageToken!, newer)
    : req.pageToken
      ? app.pageTokens.decode(req.pageToken, older)
      : undefined;
  const direction = forward ? 'asc' : 'desc';
  const checked = new Map<string, PostRecord>();
  const rows =
    typeof source === 'function'
      ? await source({ cursor, direction, limit: normalizePageSize(req.pageSize) + 1, checked })
      : await paginate(source, {
          columns: [
            { ref: 't.at', direction },
            { ref: 't.key', direction },
          ],
          pageSize: req.pageSize,
          cursor,
        }).execute();
  const page = toPage(rows, req.pageSize, (r) => ({ keys: [r.at], id: r.key }));
  const entries = forward ? [...page.items].reverse() : page.items;
  const encode = (e: Entry, b: string) => app.pageTokens.encode({ keys: [e.at], id: e.key }, b);
  const newest = entries[0];
  const oldest = entries[entries.length - 1];
  return {
    items: await entryMessages(app, viewer, now, entries, checked),
    nextPageToken: !forward && page.nextCursor && oldest ? encode(oldest, older) : '',
    prevPageToken: newest ? encode(newest, newer) : forward ? req.newerThanPageToken! : '',
  };
}

/**
 * Timeline items for entries whose posts the viewer may see: checked again as they are read,
 * unless `checked` holds every row (read for this viewer at `now` by the page's source).
 */
export async function entryMessages(
  app: PostApp,
  viewer: Viewer,
  now: Date,
  entries: readonly Entry[],
  checked?: ReadonlyMap<string, PostRecord>,
): Promise<MessageInitShape<typeof TimelineItemSchema>[]> {
  const db = app.database.db;
  const rows =
    checked && entries.every((e) => checked.has(e.post_id))
      ? checked
      : await visiblePosts(
          db,
          viewer,
          entries.map((e) => e.post_id),
          now,
        );
  const shown = entries.filter((e) => rows.has(e.post_id));
  const posts = await postMessages(
    db,
    viewer,
    shown.map((e) => rows.get(e.post_id)!),
    now,
    app.media,
  );
  const reposters = await summariesOf(
    db,
    shown.flatMap((e) => (e.reposted_by ? [e.reposted_by] : [])),
  );
  return shown.map((e, i) => ({
    post: posts[i],
    repost: e.reposted_by
      ? { repostedBy: reposters.get(e.reposted_by), repostedAt: timestampFromDate(e.at) }
      : undefined,
  }));
}
