import crypto from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import { RuleScope } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { MediaKind, MediaStatus } from '@kith/gen/kith/post/v1/media_pb.js';
import type {
  CompleteUploadRequest,
  CreateUploadUrlRequest,
  CreateUploadUrlResponseSchema,
  UpdateMediaRequest,
} from '@kith/gen/kith/post/v1/media_pb.js';
import { MediaAttachmentKind } from '@kith/gen/kith/post/v1/internal_pb.js';
import type { AttachMediaRequest, DetachMediaRequest } from '@kith/gen/kith/post/v1/internal_pb.js';
import { checkContentFailOpen } from '@kith/runtime';
import type { Caller, SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { PostApp } from '../app.js';
import type { PostDatabase } from '../db/schema.js';
import { MEDIA_STATUS } from '../db/schema.js';
import type { PostClients } from '../internal-clients.js';
import {
  claimForProcessing,
  deleteHold,
  deleteMediaRows,
  erasableMediaOf,
  finishProcessing,
  insertHold,
  insertMedia,
  mediaById,
  mediaOfOwner,
  mediaReach,
  ownMedia,
  ownReadyMedia,
  readyMediaByIds,
  releaseMedia,
  unheldMedia,
  updateMediaDetails,
} from './media-store.js';
import type { MediaRow } from './media-store.js';
import { linkLife, mediaMessage } from './media-view.js';
import type { MediaMessage } from './media-view.js';
import { processImage, RefusedUpload, SERVED_TYPE } from './process-image.js';
import { mediaPrefix, storageOf } from './runtime.js';

type Db = Kysely<PostDatabase>;

/** How long an upload link works. */
export const UPLOAD_URL_TTL_MS = 15 * 60_000;
/** Media nothing holds is purged this long after its upload or its last release. */
export const MEDIA_PURGE_AFTER_MS = 24 * 3600_000;
/** The rule id on an alt text moderation's blocking rules refuse. */
export const ALT_TEXT_REJECTED = 'post.rejected_by_rule';

const notFound = () => new NotFoundError('media not found');
const AVATAR_KINDS: number[] = [
  MediaAttachmentKind.PROFILE_AVATAR,
  MediaAttachmentKind.CIRCLE_AVATAR,
];

/** Alt text passes moderation's pre-publication check (fails open), as a post's text does. */
async function checkAltText(
  app: PostApp,
  clients: PostClients,
  authorId: string,
  altText: string,
): Promise<void> {
  await checkContentFailOpen(
    clients.moderation,
    app.logger,
    { authorId, scope: RuleScope.POST, fields: [{ field: 'alt_text', text: altText }] },
    { fieldPrefix: '', ruleId: ALT_TEXT_REJECTED },
  );
}

/**
 * CreateUploadUrl: a PENDING_UPLOAD media item owned by the caller and a presigned PUT for its
 * bytes (the request's rules hold each kind to its types and size cap).
 */
export async function createUploadUrl(
  app: PostApp,
  caller: SignedInCaller,
  req: CreateUploadUrlRequest,
): Promise<MessageInitShape<typeof CreateUploadUrlResponseSchema>> {
  const storage = storageOf(app.media);
  const ownerId = caller.principal.userId;
  await app.quotas.uploads(ownerId);
  const id = uuidv7();
  const uploadKey = `${mediaPrefix(ownerId, id)}upload`;
  const upload = await storage.signUpload(
    uploadKey,
    {
      contentType: req.contentType,
      sizeBytes: Number(req.sizeBytes),
      sha256: req.sha256 || undefined,
    },
    UPLOAD_URL_TTL_MS,
  );
  await insertMedia(app.database.db, {
    id,
    owner_id: ownerId,
    kind: req.kind,
    status: MEDIA_STATUS.PENDING_UPLOAD,
    declared_content_type: req.contentType,
    declared_size: Number(req.sizeBytes),
    declared_sha256: req.sha256,
    upload_key: uploadKey,
    upload_expires_at: upload.expiresAt,
    focus_x: null,
    focus_y: null,
    created_at: caller.now,
    released_at: null,
  });
  return {
    mediaId: id,
    uploadUrl: upload.url,
    method: upload.method,
    requiredHeaders: upload.headers,
    expiresAt: timestampFromDate(upload.expiresAt),
  };
}

/**
 * The links a media item's reader gets: never expiring for an avatar or the media of a post
 * anyone may see, short-lived otherwise.
 */
async function messageFor(
  app: PostApp,
  db: Db,
  row: MediaRow,
  reach?: { avatar: boolean; public: boolean },
): Promise<MediaMessage> {
  if (row.status !== MEDIA_STATUS.READY) return mediaMessage(app.media, row, linkLife(false));
  const known = reach ?? (await mediaReach(db, row.id, undefined, app.clock()));
  return mediaMessage(app.media, row, linkLife(known.avatar || known.public));
}

/**
 * CompleteUpload: one of the caller's PENDING_UPLOAD items (anyone else's is NotFound) whose
 * bytes have arrived. An image is processed inline and answered READY, or FAILED with a reason
 * when the bytes are refused (size, checksum, type, pixel count, undecodable). GIF, video and
 * audio are answered PROCESSING and queued for the transcoding worker (ADR 0022), which ends
 * them READY or FAILED; GetMedia tells which. Nothing uploaded yet: FailedPrecondition, and it
 * stays PENDING_UPLOAD. A storage failure puts it back to PENDING_UPLOAD so that a retry can
 * finish it.
 */
export async function completeUpload(
  app: PostApp,
  clients: PostClients,
  caller: SignedInCaller,
  req: CompleteUploadRequest,
): Promise<MediaMessage> {
  const ownerId = caller.principal.userId;
  const db = app.database.db;
  const row = await ownMedia(db, ownerId, req.mediaId);
  if (!row) throw notFound();
  if (row.status !== MEDIA_STATUS.PENDING_UPLOAD) {
    throw new FailedPreconditionError(
      `the media is ${MediaStatus[row.status]}, not PENDING_UPLOAD: CompleteUpload was already called`,
    );
  }
  if (req.altText) await checkAltText(app, clients, ownerId, req.altText);
  const storage = storageOf(app.media);
  const uploaded = await storage.size(row.upload_key);
  if (uploaded === undefined) {
    throw new FailedPreconditionError('nothing was uploaded yet: PUT the file to the upload URL');
  }
  const claimed = await claimForProcessing(db, ownerId, row.id, req.altText || undefined);
  if (!claimed) {
    throw new FailedPreconditionError('the media is no longer PENDING_UPLOAD');
  }
  if (claimed.kind !== MediaKind.IMAGE) {
    const done =
      uploaded === claimed.declared_size
        ? claimed
        : await failMedia(app, claimed, wrongSize(uploaded, claimed.declared_size));
    if (!done) throw new FailedPreconditionError('the media is no longer PROCESSING');
    app.media.queued.notify();
    return messageFor(app, db, done, { avatar: false, public: false });
  }
  let done: MediaRow | undefined;
  try {
    done = await app.media.slot(() => processUpload(app, claimed, uploaded));
  } catch (err) {
    await finishProcessing(db, claimed.id, { status: MEDIA_STATUS.PENDING_UPLOAD });
    throw err;
  }
  if (!done) throw new FailedPreconditionError('the media is no longer PROCESSING');
  return messageFor(app, db, done, { avatar: false, public: false });
}

const wrongSize = (uploaded: number, declared: number) =>
  `the file is ${uploaded} bytes, not the ${declared} declared`;

/** PROCESSING → FAILED with a client-safe reason; the upload is deleted. */
export async function failMedia(
  app: PostApp,
  row: MediaRow,
  reason: string,
): Promise<MediaRow | undefined> {
  await storageOf(app.media).delete([row.upload_key]);
  return finishProcessing(app.database.db, row.id, {
    status: MEDIA_STATUS.FAILED,
    failure_reason: reason,
    leased_until: null,
  });
}

/** Checks and re-encodes the upload; the row as READY or FAILED. The upload is deleted. */
async function processUpload(
  app: PostApp,
  row: MediaRow,
  uploadedSize: number,
): Promise<MediaRow | undefined> {
  const storage = storageOf(app.media);
  const db = app.database.db;
  const fail = (reason: string) => failMedia(app, row, reason);
  if (uploadedSize !== row.declared_size) return fail(wrongSize(uploadedSize, row.declared_size));
  const bytes = await storage.get(row.upload_key);
  if (!bytes) throw new FailedPreconditionError('the upload is gone: upload the file again');
  let image;
  try {
    image = await processImage(bytes, {
      sizeBytes: row.declared_size,
      sha256: row.declared_sha256,
    });
  } catch (err) {
    if (err instanceof RefusedUpload) return fail(err.message);
    throw err;
  }
  // A fresh name per processing: links to earlier objects of this id never reach these.
  const name = crypto.randomBytes(16).toString('hex');
  const objectKey = `${mediaPrefix(row.owner_id, row.id)}${name}.webp`;
  const thumbnailKey = `${mediaPrefix(row.owner_id, row.id)}${name}-thumb.webp`;
  await storage.put(objectKey, image.image.data, SERVED_TYPE);
  await storage.put(thumbnailKey, image.thumbnail.data, SERVED_TYPE);
  const done = await finishProcessing(db, row.id, {
    status: MEDIA_STATUS.READY,
    content_type: SERVED_TYPE,
    size_bytes: image.image.data.length,
    width: image.image.width,
    height: image.image.height,
    object_key: objectKey,
    thumbnail_key: thumbnailKey,
    blurhash: image.blurhash,
    sha256: image.sha256,
  });
  // The original (with whatever metadata it carried) is never kept.
  await storage.delete([row.upload_key]);
  return done;
}

/**
 * GetMedia: for its uploader (in any status); for anyone who may see a post carrying it; for
 * anyone when it is an avatar. Anonymous callers: public posts' media and avatars. NotFound
 * otherwise, as for an unknown id.
 */
export async function getMedia(app: PostApp, caller: Caller, mediaId: string) {
  const db = app.database.db;
  const row = await mediaById(db, mediaId);
  if (!row) throw notFound();
  const viewer = caller.principal?.userId;
  if (viewer !== row.owner_id && row.status !== MEDIA_STATUS.READY) throw notFound();
  if (row.status !== MEDIA_STATUS.READY) return messageFor(app, db, row);
  const reach = await mediaReach(db, row.id, viewer, caller.now);
  if (viewer !== row.owner_id && !reach.avatar && !reach.visible) throw notFound();
  return messageFor(app, db, row, reach);
}

/**
 * UpdateMedia: alt text (checked by moderation's blocking rules) and focal point of one of
 * the caller's media items; anyone else's is NotFound, FAILED media FailedPrecondition. The
 * same values give the same answer; every post carrying it shows the change at once.
 */
export async function updateMedia(
  app: PostApp,
  clients: PostClients,
  caller: SignedInCaller,
  req: UpdateMediaRequest,
): Promise<MediaMessage> {
  const ownerId = caller.principal.userId;
  const db = app.database.db;
  const paths = new Set(req.updateMask?.paths ?? []);
  const row = await ownMedia(db, ownerId, req.mediaId);
  if (!row) throw notFound();
  if (row.status === MEDIA_STATUS.FAILED) {
    throw new FailedPreconditionError('the media failed processing: upload the file again');
  }
  const changes: { alt_text?: string; focus_x?: number | null; focus_y?: number | null } = {};
  if (paths.has('alt_text') && req.altText !== row.alt_text) {
    if (req.altText) await checkAltText(app, clients, ownerId, req.altText);
    changes.alt_text = req.altText;
  }
  if (paths.has('focus')) {
    const x = req.focus ? req.focus.x : null;
    const y = req.focus ? req.focus.y : null;
    if (x !== row.focus_x || y !== row.focus_y) {
      changes.focus_x = x;
      changes.focus_y = y;
    }
  }
  const updated =
    Object.keys(changes).length > 0 ? await updateMediaDetails(db, row.id, changes) : row;
  return messageFor(app, db, updated);
}

/**
 * The caller's READY media among `ids`, share-locked in the post's transaction so the purge
 * cannot take them meanwhile; FailedPrecondition when any is not (someone else's, unknown,
 * not READY).
 */
export async function requireOwnReadyMedia(
  trx: Db,
  ownerId: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  const rows = await ownReadyMedia(trx, ownerId, ids);
  if (rows.length !== new Set(ids).size) {
    throw new FailedPreconditionError('media must be your own READY uploads');
  }
}

/** The media of a post as its events carry them (kith.events.v1.PostMedia), in order. */
export async function eventMedia(db: Db, ids: readonly string[]) {
  const rows = await readyMediaByIds(db, ids);
  return ids.flatMap((id) => {
    const row = rows.get(id);
    return row ? [{ mediaId: row.id, kind: row.kind, sha256: row.sha256 }] : [];
  });
}

/** The media a post lets go of (deleted, or edited without them): purged 24 h later. */
export async function letGoOf(db: Db, ids: readonly string[], now: Date): Promise<void> {
  await releaseMedia(db, ids, now);
}

/**
 * AttachMedia: holds the owner's READY media for a use outside posts (NotFound unless
 * `ownerUserId` uploaded it; FailedPrecondition unless READY and, for an avatar, an image).
 * Idempotent; answers the media with fresh links (never expiring for an avatar).
 */
export async function attachMedia(app: PostApp, req: AttachMediaRequest) {
  const now = app.clock();
  return app.database.transaction(async (trx) => {
    const row = await ownMedia(trx, req.ownerUserId, req.mediaId, { lock: 'share' });
    if (!row) throw notFound();
    if (row.status !== MEDIA_STATUS.READY) {
      throw new FailedPreconditionError('only READY media can be attached');
    }
    const avatar = AVATAR_KINDS.includes(req.kind);
    if (avatar && row.kind !== MediaKind.IMAGE) {
      throw new FailedPreconditionError('an avatar must be an image');
    }
    await insertHold(trx, { media_id: row.id, kind: req.kind, ref_id: req.refId, created_at: now });
    const reach = await mediaReach(trx, row.id, undefined, now);
    return { media: await messageFor(app, trx, row, { ...reach, avatar: avatar || reach.avatar }) };
  });
}

/** DetachMedia: releases a hold (nothing held: nothing to do); the purge clock restarts. */
export async function detachMedia(app: PostApp, req: DetachMediaRequest): Promise<void> {
  const now = app.clock();
  await app.database.transaction(async (trx) => {
    const released = await deleteHold(trx, {
      owner_id: req.ownerUserId,
      media_id: req.mediaId,
      kind: req.kind,
      ref_id: req.refId,
    });
    if (released) await releaseMedia(trx, [req.mediaId], now);
  });
}

const PURGE_BATCH = 100;

/**
 * Deletes the media nothing keeps, with its stored objects: uploaded (or last let go of) more
 * than 24 h ago, held by no AttachMedia and carried by no live post. A batch at a time, each
 * in its own transaction (rows another replica took are skipped); how many.
 */
export async function purgeUnheldMedia(app: PostApp): Promise<number> {
  const storage = app.media.storage;
  if (!storage) return 0;
  const cutoff = new Date(app.clock().getTime() - MEDIA_PURGE_AFTER_MS);
  let purged = 0;
  for (;;) {
    const done = await app.database.transaction(async (trx) => {
      const rows = await unheldMedia(trx, cutoff, PURGE_BATCH);
      for (const row of rows) await storage.deletePrefix(mediaPrefix(row.owner_id, row.id));
      await deleteMediaRows(
        trx,
        rows.map((r) => r.id),
      );
      return rows.length;
    });
    purged += done;
    if (done < PURGE_BATCH) return purged;
  }
}

/**
 * Erasure: deletes the user's media rows and their stored objects, but what moderation holds
 * as report evidence (kept until moderation detaches it). Runs in the erasure's transaction;
 * the objects go first, so a failure rolls back and the redelivery tries again.
 */
export async function eraseMediaOf(app: PostApp, trx: Db, userId: string): Promise<number> {
  const rows = await erasableMediaOf(trx, userId);
  const storage = app.media.storage;
  if (storage) {
    for (const row of rows) await storage.deletePrefix(mediaPrefix(row.owner_id, row.id));
  }
  await deleteMediaRows(
    trx,
    rows.map((r) => r.id),
  );
  return rows.length;
}

/** What the user's data export lists of their media: metadata, no files. */
export async function mediaDataOf(db: Db, userId: string) {
  const rows = await mediaOfOwner(db, userId);
  return rows.map((m) => ({
    media_id: m.id,
    kind: MediaKind[m.kind]?.toLowerCase() ?? String(m.kind),
    status: MediaStatus[m.status]?.toLowerCase() ?? String(m.status),
    content_type: m.content_type || m.declared_content_type,
    size_bytes: m.size_bytes || m.declared_size,
    width: m.width,
    height: m.height,
    duration_ms: m.duration_ms,
    alt_text: m.alt_text,
    focus: m.focus_x !== null && m.focus_y !== null ? { x: m.focus_x, y: m.focus_y } : null,
    sha256: m.sha256 || null,
    failure_reason: m.failure_reason || null,
    created_at: m.created_at.toISOString(),
  }));
}
