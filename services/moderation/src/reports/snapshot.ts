// Content snapshots (snapshot.proto): moderation asks the owning service for the content as the
// reporter sees it (its internal GetReportSnapshot) and keeps it, one per content version.
import { create, toBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { NotFoundError, UnavailableError } from '@kith/errors';
import { SubjectKind } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { ContentSnapshot } from '@kith/gen/kith/moderation/v1/snapshot_pb.js';
import {
  CircleContentSchema,
  ContentSnapshotSchema,
  IncidentContentSchema,
  PostContentSchema,
  ProfileContentSchema,
  SnapshotAudience,
  SnapshotMediaSchema,
} from '@kith/gen/kith/moderation/v1/snapshot_pb.js';
import { AudienceKind } from '@kith/gen/kith/post/v1/internal_pb.js';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { ModerationApp } from '../app.js';
import type { ModerationDatabase } from '../db/schema.js';
import { subjectOf } from '../subjects/subject-ref.js';
import { keepEvidence } from '../evidence/evidence.js';
import { keepSnapshot } from './report-store.js';
import type { SubjectRef } from '../subjects/subject-ref.js';

/** What the owning service answered, as moderation keeps it. */
export interface Captured {
  authorId: string;
  contentVersion: bigint;
  content: ContentSnapshot['content'];
}

const audienceOf: Record<number, SnapshotAudience> = {
  [AudienceKind.PUBLIC]: SnapshotAudience.PUBLIC,
  [AudienceKind.FOLLOWERS]: SnapshotAudience.FOLLOWERS,
  [AudienceKind.CIRCLES]: SnapshotAudience.CIRCLES,
  [AudienceKind.MENTIONED_ONLY]: SnapshotAudience.MENTIONED_ONLY,
};

/**
 * The subject's content as `viewerId` may see it. NotFound when it does not exist or the
 * viewer may not see it (`field` names the request field); Unavailable when the owning service
 * does not answer in time (the caller retries with the same idempotency key).
 */
export async function captureContent(
  app: ModerationApp,
  ref: SubjectRef,
  viewerId: string,
  field: string,
): Promise<Captured> {
  const request = { reporterId: viewerId, id: ref.id };
  try {
    switch (ref.kind) {
      case SubjectKind.USER: {
        const p = (await app.clients.user.getReportSnapshot(request)).profile!;
        return {
          authorId: p.userId,
          contentVersion: p.profileVersion,
          content: {
            case: 'profile',
            value: create(ProfileContentSchema, {
              username: p.username,
              displayName: p.displayName,
              bio: p.bio,
              links: p.links,
              avatar: p.avatarMediaId
                ? create(SnapshotMediaSchema, { mediaId: p.avatarMediaId })
                : undefined,
            }),
          },
        };
      }
      case SubjectKind.POST: {
        const p = (await app.clients.post.getReportSnapshot(request)).post!;
        return {
          authorId: p.authorId,
          contentVersion: BigInt(p.revision),
          content: {
            case: 'post',
            value: create(PostContentSchema, {
              text: p.text,
              contentWarning: p.contentWarning,
              sensitive: p.sensitive,
              language: p.language,
              media: p.media.map((m) =>
                create(SnapshotMediaSchema, {
                  mediaId: m.mediaId,
                  contentType: m.contentType,
                  altText: m.altText,
                }),
              ),
              audience: audienceOf[p.audienceKind] ?? SnapshotAudience.UNSPECIFIED,
              replyToPostId: p.replyToPostId,
              quotePostId: p.quotePostId,
              createdAt: p.createdAt,
              editedAt: p.editedAt,
              mentionedUserIds: p.mentionedUserIds,
            }),
          },
        };
      }
      case SubjectKind.CIRCLE: {
        const c = (await app.clients.circle.getReportSnapshot(request)).circle!;
        return {
          authorId: c.ownerId,
          contentVersion: c.circleVersion,
          content: {
            case: 'circle',
            value: create(CircleContentSchema, {
              name: c.name,
              description: c.description,
              avatar: c.avatarMediaId
                ? create(SnapshotMediaSchema, { mediaId: c.avatarMediaId })
                : undefined,
              rules: c.rules,
            }),
          },
        };
      }
      case SubjectKind.INCIDENT: {
        const i = (await app.clients.support.getReportSnapshot(request)).incident!;
        return {
          authorId: i.ownerId,
          contentVersion: i.incidentVersion,
          content: {
            case: 'incident',
            value: create(IncidentContentSchema, {
              kind: i.kind,
              text: i.message,
              createdAt: i.createdAt,
              helpType: i.helpType,
              severity: i.severity,
              emergencyKind: i.emergencyKind,
            }),
          },
        };
      }
      default:
        throw new Error(`unknown subject kind ${ref.kind}`);
    }
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.NotFound) {
      throw new NotFoundError(`${field} not found`);
    }
    if (err instanceof ConnectError) {
      throw new UnavailableError('the content could not be read; retry', { cause: err });
    }
    throw err;
  }
}

/**
 * Keeps what was captured as the subject's snapshot of that content version, unless one is kept
 * already (a later report of an unchanged version shares it; `cause` names the first), and
 * marks its media to be held as evidence.
 */
export async function keepCaptured(
  trx: Kysely<ModerationDatabase>,
  ref: SubjectRef,
  captured: Captured,
  cause: MessageInitShape<typeof ContentSnapshotSchema>['cause'],
  now: Date,
): Promise<void> {
  const snapshotId = uuidv7();
  const kept = await keepSnapshot(trx, {
    id: snapshotId,
    subject_kind: ref.kind,
    subject_id: ref.id,
    content_version: captured.contentVersion,
    author_id: captured.authorId,
    body: toBinary(
      ContentSnapshotSchema,
      create(ContentSnapshotSchema, {
        snapshotId,
        subject: subjectOf(ref),
        authorId: captured.authorId,
        capturedAt: timestampFromDate(now),
        cause,
        contentVersion: captured.contentVersion,
        content: captured.content,
      }),
    ),
    captured_at: now,
  });
  // Its media is held as evidence (evidence/evidence.ts); a snapshot kept before has its rows.
  await keepEvidence(trx, kept, ref, captured, now);
}
