import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { MediaKind } from '@kith/gen/kith/post/v1/media_pb.js';
import type { MediaSchema } from '@kith/gen/kith/post/v1/media_pb.js';
import type { Kysely } from 'kysely';
import type { PostDatabase } from '../db/schema.js';
import { AUDIENCE, MEDIA_STATUS } from '../db/schema.js';
import { readyMediaByIds } from './media-store.js';
import type { MediaRow } from './media-store.js';
import { SERVED_TYPE } from './process-image.js';
import type { MediaRuntime } from './runtime.js';
import type { LinkLife } from './storage.js';

export type MediaMessage = MessageInitShape<typeof MediaSchema>;

/** How long the links of non-public media work (Media.url_expires_at). */
export const MEDIA_URL_TTL_MS = 60 * 60_000;

/** Links that never expire (avatars, public posts' media), or short-lived signed ones. */
export const linkLife = (isPublic: boolean): LinkLife =>
  isPublic ? { public: true } : { ttlMs: MEDIA_URL_TTL_MS };

/** The Media message of a row; links only once READY (and a store is configured). */
export async function mediaMessage(
  media: MediaRuntime,
  row: MediaRow,
  life: LinkLife,
): Promise<MediaMessage> {
  let links: { url: string; thumbnailUrl: string; expiresAt: Date | undefined } = {
    url: '',
    thumbnailUrl: '',
    expiresAt: undefined,
  };
  if (row.status === MEDIA_STATUS.READY && media.storage) {
    // Audio has no still.
    const [main, thumbnail] = await Promise.all([
      media.storage.signDownload(row.object_key, row.content_type, life),
      row.thumbnail_key
        ? media.storage.signDownload(row.thumbnail_key, SERVED_TYPE, life)
        : undefined,
    ]);
    links = { url: main.url, thumbnailUrl: thumbnail?.url ?? '', expiresAt: main.expiresAt };
  }
  return {
    mediaId: row.id,
    kind: row.kind,
    status: row.status,
    contentType: row.content_type,
    sizeBytes: BigInt(row.size_bytes),
    width: row.width,
    height: row.height,
    duration:
      row.kind === MediaKind.VIDEO || row.kind === MediaKind.AUDIO
        ? durationFromMs(row.duration_ms)
        : undefined,
    url: links.url,
    thumbnailUrl: links.thumbnailUrl,
    altText: row.alt_text,
    blurhash: row.blurhash,
    failureReason: row.failure_reason,
    createdAt: timestampFromDate(row.created_at),
    urlExpiresAt: links.expiresAt ? timestampFromDate(links.expiresAt) : undefined,
    focus:
      row.focus_x !== null && row.focus_y !== null ? { x: row.focus_x, y: row.focus_y } : undefined,
  };
}

/**
 * The media of a page of posts, read in one query, by post: each post's READY media in its
 * order, with links that never expire on a public post and short-lived ones otherwise
 * (`expiring`: short-lived whatever the audience).
 */
export async function mediaOfPosts(
  media: MediaRuntime,
  db: Kysely<PostDatabase>,
  posts: readonly { id: string; media_ids: string[]; audience: number }[],
  options: { expiring?: boolean } = {},
): Promise<Map<string, MediaMessage[]>> {
  const rows = await readyMediaByIds(
    db,
    posts.flatMap((p) => p.media_ids),
  );
  const out = new Map<string, MediaMessage[]>();
  await Promise.all(
    posts.map(async (post) => {
      const life = linkLife(!options.expiring && post.audience === AUDIENCE.PUBLIC);
      const items = post.media_ids.flatMap((id) => {
        const row = rows.get(id);
        return row ? [row] : [];
      });
      out.set(post.id, await Promise.all(items.map((row) => mediaMessage(media, row, life))));
    }),
  );
  return out;
}
