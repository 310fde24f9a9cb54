// Media kept as report evidence (snapshot.proto, SnapshotMedia): a kept snapshot's media is held
// in the post service (PostInternalService.AttachMedia, MEDIA_ATTACHMENT_KIND_REPORT_EVIDENCE),
// so it outlives the post's deletion, the 24 h purge of unattached media and the author's
// erasure, until the subject has been closed for the retention; then it is released.
import { Code, ConnectError } from '@connectrpc/connect';
import type { ContentSnapshot, SnapshotMedia } from '@kith/gen/kith/moderation/v1/snapshot_pb.js';
import { MediaAttachmentKind } from '@kith/gen/kith/post/v1/internal_pb.js';
import { periodicDaemon } from '@kith/runtime';
import type { Daemon } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { ModerationApp } from '../app.js';
import type { ModerationDatabase } from '../db/schema.js';
import type { Captured } from '../reports/snapshot.js';
import type { SubjectRef } from '../subjects/subject-ref.js';
import {
  EVIDENCE_STATE,
  evidenceToHold,
  evidenceToRelease,
  heldEvidenceOf,
  insertEvidence,
  updateEvidence,
} from './evidence-store.js';
import type { EvidenceRow } from './evidence-store.js';

const DAY_MS = 86_400_000;

/**
 * How long held media is kept after its subject last closed: past the six calendar months an
 * appeal may come in (ADR 0012), with a margin for the appeal's handling.
 */
export const EVIDENCE_RETENTION_MS = 200 * DAY_MS;

/** How often media to hold, and held media past the retention, are looked for. */
export const EVIDENCE_EVERY_MS = 5_000;

/** Waits before the next attempt to hold, by attempts made; the last repeats. */
const RETRY_MS = [5_000, 30_000, 300_000, 3_600_000];
const BATCH = 20;

const evidenceKind = MediaAttachmentKind.REPORT_EVIDENCE;

/** The media a snapshot shows: a post's attachments, or a profile's or circle's avatar. */
export function snapshotMedia(content: ContentSnapshot['content']): SnapshotMedia[] {
  switch (content.case) {
    case 'post':
      return content.value.media;
    case 'profile':
    case 'circle':
      return content.value.avatar ? [content.value.avatar] : [];
    default:
      return [];
  }
}

/**
 * In the snapshot's transaction: its media is to be held, as uploaded by the content's author
 * (a circle avatar another admin uploaded is not found under the owner, and is not held).
 */
export async function keepEvidence(
  trx: Kysely<ModerationDatabase>,
  snapshotId: string,
  ref: SubjectRef,
  captured: Captured,
  now: Date,
): Promise<void> {
  await insertEvidence(
    trx,
    snapshotMedia(captured.content).map(({ mediaId }) => ({
      snapshot_id: snapshotId,
      media_id: mediaId,
      owner_id: captured.authorId,
      subject_kind: ref.kind,
      subject_id: ref.id,
      next_attempt_at: now,
    })),
  );
}

const attachRequest = (row: EvidenceRow) => ({
  ownerUserId: row.owner_id,
  mediaId: row.media_id,
  kind: evidenceKind,
  refId: row.snapshot_id,
});

/** Places the holds that are due; how many rows it settled (held, or nothing to hold). */
export async function holdEvidence(app: ModerationApp): Promise<number> {
  const now = app.clock();
  const db = app.database.db;
  let settled = 0;
  for (const row of await evidenceToHold(db, now, BATCH)) {
    try {
      await app.clients.post.attachMedia(attachRequest(row));
      await updateEvidence(db, row, { state: EVIDENCE_STATE.held, held_at: now });
      settled++;
    } catch (err) {
      // Gone before the hold (purged, erased) or never this author's: there is nothing to keep.
      if (
        err instanceof ConnectError &&
        (err.code === Code.NotFound || err.code === Code.FailedPrecondition)
      ) {
        await updateEvidence(db, row, { state: EVIDENCE_STATE.nothingToHold });
        settled++;
        continue;
      }
      const wait = RETRY_MS[Math.min(row.attempts, RETRY_MS.length - 1)]!;
      await updateEvidence(db, row, {
        attempts: row.attempts + 1,
        next_attempt_at: new Date(now.getTime() + wait),
      });
      app.logger.warn({ err, mediaId: row.media_id }, 'evidence hold failed; will retry');
    }
  }
  return settled;
}

/**
 * Releases the holds of subjects closed for longer than the retention, or never queued and
 * held for longer than it; how many.
 */
export async function releaseEvidence(app: ModerationApp): Promise<number> {
  const now = app.clock();
  const db = app.database.db;
  const cutoff = new Date(now.getTime() - EVIDENCE_RETENTION_MS);
  let released = 0;
  for (const row of await evidenceToRelease(db, cutoff, BATCH)) {
    // Succeeds when nothing is held any more; a failure is retried at the next pass.
    await app.clients.post.detachMedia(attachRequest(row));
    await updateEvidence(db, row, { state: EVIDENCE_STATE.released, released_at: now });
    released++;
  }
  return released;
}

/**
 * Fresh short-lived links to a snapshot's held media, by media id, for staff reading it
 * (attaching again is idempotent and answers fresh links). Media whose link cannot be had
 * right now is left out: the snapshot still names it.
 */
export async function evidenceUrls(
  app: ModerationApp,
  snapshotId: string,
): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  for (const row of await heldEvidenceOf(app.database.db, snapshotId)) {
    try {
      const { media } = await app.clients.post.attachMedia(attachRequest(row));
      if (media?.url) urls.set(row.media_id, media.url);
    } catch (err) {
      app.logger.warn({ err, mediaId: row.media_id }, 'no link for held evidence');
    }
  }
  return urls;
}

/** Holds due media and releases what the retention lets go of. */
export function evidenceDaemon(app: ModerationApp): Daemon {
  return periodicDaemon({
    name: 'moderation-evidence',
    everyMs: EVIDENCE_EVERY_MS,
    run: async () => {
      const held = await holdEvidence(app);
      const released = await releaseEvidence(app);
      if (held + released > 0) app.logger.info({ held, released }, 'moderation evidence');
    },
    onError: (err) => app.logger.error({ err }, 'moderation evidence failed'),
  });
}
