import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { InvalidArgumentError, UnavailableError } from '@kith/errors';
import type { FieldViolation } from '@kith/errors';
import type {
  CheckContentRequestSchema,
  ModerationInternalService,
} from '@kith/gen/kith/moderation/v1/internal_pb.js';
import type {
  MediaAttachmentKind,
  PostInternalService,
} from '@kith/gen/kith/post/v1/internal_pb.js';
import type { Logger } from '@kith/logging';
import type { InternalClient } from './internal-rpc.js';

/**
 * Moderation's pre-publication check of the text a user is about to publish (a profile, a
 * circle). A rejection throws InvalidArgument with a violation per rejected field
 * (`fieldPrefix` + the field as sent, under `ruleId`); the check fails open: moderation
 * unreachable, slow or failing lets the text through (post-publication rules still apply).
 */
export async function checkContentFailOpen(
  moderation: InternalClient<typeof ModerationInternalService>,
  logger: Logger,
  request: MessageInitShape<typeof CheckContentRequestSchema> & {
    fields: { field: string; text: string }[];
  },
  refusal: { fieldPrefix: string; ruleId: string },
): Promise<void> {
  if (request.fields.length === 0) return;
  let rejectedFields: string[];
  try {
    const result = await moderation.checkContent(request);
    if (!result.rejected) return;
    rejectedFields = result.rejectedFields;
  } catch (err) {
    const code = err instanceof ConnectError ? Code[err.code] : 'unknown';
    logger.warn({ code }, 'content check failed; accepting the change (fails open)');
    return;
  }
  const violation = (field: string): FieldViolation => ({
    field: `${refusal.fieldPrefix}${field}`,
    message: 'was rejected by a content rule',
    ruleId: refusal.ruleId,
  });
  const sent = new Set(request.fields.map((f) => f.field));
  const violations = rejectedFields.filter((field) => sent.has(field)).map(violation);
  // A rejection that names none of the fields sent still refuses: on every field.
  if (violations.length === 0) violations.push(...request.fields.map((f) => violation(f.field)));
  throw new InvalidArgumentError(violations, 'rejected by a content rule');
}

export interface MediaHold {
  ownerUserId: string;
  mediaId: string;
  kind: MediaAttachmentKind;
  refId: string;
}

/**
 * Holds an uploaded image with post (AttachMedia) so the media purge never deletes it; its
 * public URL. Not the owner's, not ready or not an image: InvalidArgument on `field`. Post
 * unreachable: Unavailable, because storing media post does not hold would lose it.
 */
export async function holdMedia(
  post: InternalClient<typeof PostInternalService>,
  hold: MediaHold,
  field: string,
): Promise<string> {
  try {
    const { media } = await post.attachMedia(hold);
    return media?.url ?? '';
  } catch (err) {
    if (
      err instanceof ConnectError &&
      [Code.NotFound, Code.FailedPrecondition, Code.InvalidArgument].includes(err.code)
    ) {
      throw new InvalidArgumentError(
        [{ field, message: 'must be a ready image you uploaded' }],
        'invalid avatar',
      );
    }
    throw new UnavailableError('avatars cannot be changed right now; try again later', {
      cause: err,
    });
  }
}

/** Releases a hold no longer needed; a failure leaves the hold behind and is only logged. */
export async function releaseMedia(
  post: InternalClient<typeof PostInternalService>,
  logger: Logger,
  hold: MediaHold,
): Promise<void> {
  try {
    await post.detachMedia(hold);
  } catch (err) {
    const code = err instanceof ConnectError ? Code[err.code] : 'unknown';
    logger.warn({ code }, 'releasing media failed');
  }
}
