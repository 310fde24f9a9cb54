import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { sql } from 'kysely';
import type { MediaTable, PostDatabase } from '../db/schema.js';
import { MEDIA_STATUS } from '../db/schema.js';
import type { Viewer } from '../posts/visibility-store.js';
import { visibleTo } from '../posts/visibility-store.js';

type Db = Kysely<PostDatabase>;
export type MediaRow = Selectable<MediaTable>;

/** MediaAttachmentKind values that make media public (profile and circle avatars). */
export const AVATAR_HOLDS = [1, 2];
/** MediaAttachmentKind.REPORT_EVIDENCE: survives the author's erasure. */
export const EVIDENCE_HOLD = 4;

/** Whether the post (alias `p`) carries the media `mediaId` (an SQL expression). */
const carries = (mediaId: ReturnType<typeof sql>) =>
  sql<boolean>`p.media_ids @> array[${mediaId}]::uuid[]`;

export async function insertMedia(db: Db, row: Insertable<MediaTable>): Promise<MediaRow> {
  return db.insertInto('media').values(row).returningAll().executeTakeFirstOrThrow();
}

/** The media item, whoever owns it. */
export async function mediaById(db: Db, id: string): Promise<MediaRow | undefined> {
  return db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * One of the owner's media items; undefined when it is someone else's or unknown. `lock`:
 * 'share' keeps the purge off it until the transaction ends.
 */
export async function ownMedia(
  db: Db,
  ownerId: string,
  id: string,
  options: { lock?: 'share' | 'update' } = {},
): Promise<MediaRow | undefined> {
  const query = db
    .selectFrom('media')
    .selectAll()
    .where('id', '=', id)
    .where('owner_id', '=', ownerId);
  if (options.lock === 'share') return query.forShare().executeTakeFirst();
  if (options.lock === 'update') return query.forUpdate().executeTakeFirst();
  return query.executeTakeFirst();
}

/** PENDING_UPLOAD → PROCESSING for its owner; undefined when it was not PENDING_UPLOAD. */
export async function claimForProcessing(
  db: Db,
  ownerId: string,
  id: string,
  altText: string | undefined,
): Promise<MediaRow | undefined> {
  return db
    .updateTable('media')
    .set({
      status: MEDIA_STATUS.PROCESSING,
      ...(altText !== undefined ? { alt_text: altText } : {}),
    })
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .where('status', '=', MEDIA_STATUS.PENDING_UPLOAD)
    .returningAll()
    .executeTakeFirst();
}

/** The outcome of processing (READY or FAILED, or back to PENDING_UPLOAD), from PROCESSING. */
export async function finishProcessing(
  db: Db,
  id: string,
  changes: Updateable<MediaTable>,
): Promise<MediaRow | undefined> {
  return db
    .updateTable('media')
    .set(changes)
    .where('id', '=', id)
    .where('status', '=', MEDIA_STATUS.PROCESSING)
    .returningAll()
    .executeTakeFirst();
}

/**
 * The transcoding queue (ADR 0022): the oldest GIF, video or audio item PROCESSING whose lease
 * is free or has lapsed (its worker died), leased to the caller until `until`, its attempts
 * counted; others' row locks are skipped, so each item goes to one worker at a time.
 */
export async function leaseNextTranscode(
  db: Db,
  now: Date,
  until: Date,
): Promise<MediaRow | undefined> {
  return db
    .updateTable('media')
    .set((eb) => ({ leased_until: until, attempts: eb('attempts', '+', 1) }))
    .where(
      'id',
      '=',
      db
        .selectFrom('media')
        .select('id')
        // The queue's partial index: media_transcode_queue_idx.
        .where(sql<boolean>`status = 2 and kind <> 1`)
        .where((eb) => eb.or([eb('leased_until', 'is', null), eb('leased_until', '<=', now)]))
        .orderBy('created_at')
        .limit(1)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .executeTakeFirst();
}

/**
 * Gives a lease back: null when the worker is stopping (the next worker takes the item at
 * once), a time after an unexpected error (no worker takes it before then).
 */
export async function releaseTranscodeLease(db: Db, id: string, until: Date | null): Promise<void> {
  await db
    .updateTable('media')
    .set({ leased_until: until })
    .where('id', '=', id)
    .where('status', '=', MEDIA_STATUS.PROCESSING)
    .execute();
}

/** Alt text and focal point; the row as it now stands. */
export async function updateMediaDetails(
  db: Db,
  id: string,
  changes: Pick<Updateable<MediaTable>, 'alt_text' | 'focus_x' | 'focus_y'>,
): Promise<MediaRow> {
  return db
    .updateTable('media')
    .set(changes)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Those of `ids` that are the owner's READY media, share-locked so the purge cannot take them
 * before the post that names them commits.
 */
export async function ownReadyMedia(
  db: Db,
  ownerId: string,
  ids: readonly string[],
): Promise<MediaRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('media')
    .selectAll()
    .where('id', 'in', [...ids])
    .where('owner_id', '=', ownerId)
    .where('status', '=', MEDIA_STATUS.READY)
    .forShare()
    .execute();
}

/** The READY media among `ids`, by id (one query for a whole page of posts). */
export async function readyMediaByIds(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, MediaRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .selectFrom('media')
    .selectAll()
    .where('id', 'in', unique)
    .where('status', '=', MEDIA_STATUS.READY)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * Who may read the media besides its uploader: `avatar` (held as a profile or circle avatar:
 * anyone), `visible` (a post the viewer may see carries it) and `public` (a post anyone may
 * see carries it, so its links need not expire).
 */
export async function mediaReach(
  db: Db,
  mediaId: string,
  viewer: Viewer,
  now: Date,
): Promise<{ avatar: boolean; visible: boolean; public: boolean }> {
  const id = sql`${mediaId}::uuid`;
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .exists(
          eb
            .selectFrom('media_holds as h')
            .select(sql.lit(1).as('one'))
            .where('h.media_id', '=', mediaId)
            .where('h.kind', 'in', AVATAR_HOLDS),
        )
        .as('avatar'),
      eb
        .exists(
          eb
            .selectFrom('posts as p')
            .select(sql.lit(1).as('one'))
            .where(carries(id))
            .where(visibleTo(viewer, now)),
        )
        .as('visible'),
      eb
        .exists(
          eb
            .selectFrom('posts as p')
            .select(sql.lit(1).as('one'))
            .where(carries(id))
            .where(visibleTo(undefined, now)),
        )
        .as('public'),
    ])
    .executeTakeFirstOrThrow();
  return { avatar: !!row.avatar, visible: !!row.visible, public: !!row.public };
}

/** Marks media let go of now (a post deleted or edited without it): the purge clock restarts. */
export async function releaseMedia(db: Db, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('media')
    .set({ released_at: now })
    .where('id', 'in', [...ids])
    .execute();
}

export async function insertHold(
  db: Db,
  hold: { media_id: string; kind: number; ref_id: string; created_at: Date },
): Promise<void> {
  await db
    .insertInto('media_holds')
    .values(hold)
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Removes a hold of the owner's media; whether there was one. */
export async function deleteHold(
  db: Db,
  hold: { owner_id: string; media_id: string; kind: number; ref_id: string },
): Promise<boolean> {
  const deleted = await db
    .deleteFrom('media_holds as h')
    .where('h.media_id', '=', hold.media_id)
    .where('h.kind', '=', hold.kind)
    .where('h.ref_id', '=', hold.ref_id)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('media as m')
          .select(sql.lit(1).as('one'))
          .where('m.id', '=', hold.media_id)
          .where('m.owner_id', '=', hold.owner_id),
      ),
    )
    .returning('h.media_id')
    .executeTakeFirst();
  return deleted !== undefined;
}

/**
 * Media nothing keeps, locked (others' locks skipped): uploaded and last let go of at or
 * before `cutoff`, with no hold and on no post. A deleted post's tombstone carries none, but
 * a post moderation removed keeps its media with its content, for a reversal to restore.
 * Nor an item a transcoding worker leased within that time: one may be writing its objects.
 */
export async function unheldMedia(db: Db, cutoff: Date, limit: number): Promise<MediaRow[]> {
  return db
    .selectFrom('media as m')
    .selectAll('m')
    .where('m.created_at', '<=', cutoff)
    .where((eb) => eb.or([eb('m.released_at', 'is', null), eb('m.released_at', '<=', cutoff)]))
    .where((eb) => eb.or([eb('m.leased_until', 'is', null), eb('m.leased_until', '<=', cutoff)]))
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('media_holds as h')
            .select(sql.lit(1).as('one'))
            .whereRef('h.media_id', '=', 'm.id'),
        ),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('posts as p')
            .select(sql.lit(1).as('one'))
            .where(carries(sql.ref('m.id'))),
        ),
      ),
    )
    .orderBy('m.created_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

export async function deleteMediaRows(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .deleteFrom('media')
    .where('id', 'in', [...ids])
    .execute();
}

/**
 * The user's media an erasure deletes, locked: all of it but what moderation holds as report
 * evidence (kept until moderation detaches it).
 */
export async function erasableMediaOf(db: Db, ownerId: string): Promise<MediaRow[]> {
  return db
    .selectFrom('media as m')
    .selectAll('m')
    .where('m.owner_id', '=', ownerId)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('media_holds as h')
            .select(sql.lit(1).as('one'))
            .whereRef('h.media_id', '=', 'm.id')
            .where('h.kind', '=', EVIDENCE_HOLD),
        ),
      ),
    )
    .forUpdate()
    .execute();
}

/** Every media item of the user, oldest first (their data export). */
export async function mediaOfOwner(db: Db, ownerId: string): Promise<MediaRow[]> {
  return db
    .selectFrom('media')
    .selectAll()
    .where('owner_id', '=', ownerId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
