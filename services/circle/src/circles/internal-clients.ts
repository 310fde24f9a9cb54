import { ModerationInternalService } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import { MediaAttachmentKind, PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import type { Trx } from '@kith/db';
import { internalClient, releaseMedia } from '@kith/runtime';
import type { InternalClient, MediaHold } from '@kith/runtime';
import type { CircleApp } from '../app.js';
import type { CircleDatabase } from '../db/schema.js';
import type { CircleRow } from './circle-store.js';

/** The other services circles ask, each with its own timeout and circuit breaker. */
export interface CircleClients {
  /** CheckContent: 200 ms, as moderation's contract asks; the caller fails open. */
  moderation: InternalClient<typeof ModerationInternalService>;
  /** AttachMedia and DetachMedia for circle avatars; GetCirclePosts before HidePost. */
  post: InternalClient<typeof PostInternalService>;
}

export function circleClients(app: CircleApp): CircleClients {
  return {
    moderation: internalClient(app.ctx.bus, ModerationInternalService, { timeoutMs: 200 }),
    post: internalClient(app.ctx.bus, PostInternalService, { timeoutMs: 2000 }),
  };
}

/** The hold a circle keeps on its avatar (uploaded by `ownerUserId`). */
export const avatarHold = (ownerUserId: string, mediaId: string, circleId: string): MediaHold => ({
  ownerUserId,
  mediaId,
  kind: MediaAttachmentKind.CIRCLE_AVATAR,
  refId: circleId,
});

/**
 * Once the transaction commits, releases the circle's avatar as it stood before the change
 * (the hold of whoever uploaded it); nothing when it had none.
 */
export function releaseAvatarOnCommit(
  app: CircleApp,
  clients: CircleClients,
  trx: Trx<CircleDatabase>,
  before: Pick<CircleRow, 'id' | 'owner_id' | 'avatar_media_id' | 'avatar_owner_id'>,
): void {
  const mediaId = before.avatar_media_id;
  if (!mediaId) return;
  const uploader = before.avatar_owner_id ?? before.owner_id;
  trx.onCommit(() =>
    releaseMedia(clients.post, app.logger, avatarHold(uploader, mediaId, before.id)),
  );
}
