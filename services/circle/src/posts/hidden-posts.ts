import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { NotFoundError, PermissionDeniedError, UnavailableError } from '@kith/errors';
import type { HiddenPostSchema } from '@kith/gen/kith/circle/v1/types_pb.js';
import { AuditAction } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { CirclePost } from '@kith/gen/kith/post/v1/internal_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { mayHidePostOf, requireCircle } from '../access.js';
import type { CircleApp } from '../app.js';
import { recordAudit } from '../audit/audit-store.js';
import type { MemberRow } from '../circles/circle-store.js';
import type { CircleClients } from '../circles/internal-clients.js';
import type { CircleDatabase } from '../db/schema.js';
import { lockMember } from '../members/member-store.js';
import { summariesOf } from '../users/user-store.js';
import {
  deleteHiddenPost,
  hiddenPostsPage,
  lockHiddenPost,
  nextHideVersion,
  upsertHiddenPost,
} from './hidden-post-store.js';
import type { HiddenPostRow } from './hidden-post-store.js';

type HiddenPostMessage = MessageInitShape<typeof HiddenPostSchema>;

async function hiddenPostMessages(
  db: Kysely<CircleDatabase>,
  rows: readonly HiddenPostRow[],
): Promise<HiddenPostMessage[]> {
  const people = await summariesOf(
    db,
    rows.flatMap((r) => (r.hidden_by ? [r.author_id, r.hidden_by] : [r.author_id])),
  );
  return rows.map((row) => ({
    circleId: row.circle_id,
    postId: row.post_id,
    author: people.get(row.author_id),
    reason: row.reason,
    note: row.note,
    hiddenBy: row.hidden_by ? people.get(row.hidden_by) : undefined,
    hiddenAt: timestampFromDate(row.hidden_at),
  }));
}

/**
 * The post as post knows it, when it is addressed to the circle (a CIRCLES audience including
 * it, or a reply in such a thread) and live: kith.post.v1.PostInternalService.GetCirclePosts,
 * with the client's timeout and circuit breaker. NotFound otherwise; Unavailable when post
 * cannot answer, since circle does not project posts and cannot tell on its own.
 */
async function circlePost(
  app: CircleApp,
  clients: CircleClients,
  circleId: string,
  postId: string,
): Promise<CirclePost> {
  let posts: CirclePost[];
  try {
    ({ posts } = await clients.post.getCirclePosts({ circleId, postIds: [postId] }));
  } catch (err) {
    const code = err instanceof ConnectError ? Code[err.code] : 'unknown';
    app.logger.warn({ code }, 'asking post for a circle post failed');
    throw new UnavailableError('posts cannot be hidden right now; try again later', {
      cause: err,
    });
  }
  const post = posts.find((p) => p.postId === postId);
  if (!post) throw new NotFoundError('post not found');
  return post;
}

/**
 * PermissionDenied unless the caller (`actor`) may hide and unhide `authorId`'s posts in the
 * circle (mayHidePostOf: the OWNER any post, an ADMIN a MEMBER's or a former member's). The
 * author's membership is locked, so a concurrent role change waits.
 */
async function requireMayHide(
  trx: Kysely<CircleDatabase>,
  circleId: string,
  actor: MemberRow,
  authorId: string,
): Promise<void> {
  const author = await lockMember(trx, circleId, authorId);
  if (!mayHidePostOf(actor.role, author?.role ?? 0)) {
    throw new PermissionDeniedError(
      "an admin hides members' posts only; the owner's and admins' posts need the owner",
    );
  }
}

/**
 * HidePost (OWNER any post; ADMIN a MEMBER's or a former member's): the post must be addressed
 * to the circle (asked of post). Records the hide, the POST_HIDDEN audit entry (target the
 * author, the note as its reason) and circle.post_hidden with the hide's next version. Hiding
 * again with another reason or note replaces them (and who hid it, and when) as a new version;
 * hiding again with the same ones changes nothing and returns the hide as it stands.
 */
export async function hidePost(
  app: CircleApp,
  clients: CircleClients,
  caller: SignedInCaller,
  req: { circleId: string; postId: string; reason: number; note: string },
): Promise<HiddenPostMessage> {
  const callerId = caller.principal.userId;
  const { circleId, postId } = req;
  // Who may hide is settled before post is asked anything: a non-member learns nothing.
  await requireCircle(app.database.db, callerId, circleId, 'hidePosts');
  const post = await circlePost(app, clients, circleId, postId);
  return app.database.transaction(async (trx) => {
    const { membership } = await requireCircle(trx, callerId, circleId, 'hidePosts', {
      lock: true,
    });
    await requireMayHide(trx, circleId, membership, post.authorId);
    const standing = await lockHiddenPost(trx, circleId, postId);
    if (standing && standing.reason === req.reason && standing.note === req.note) {
      const [same] = await hiddenPostMessages(trx, [standing]);
      return same!;
    }
    const row = await upsertHiddenPost(trx, {
      circle_id: circleId,
      post_id: postId,
      author_id: post.authorId,
      reason: req.reason,
      note: req.note,
      hidden_by: callerId,
      hidden_at: caller.now,
    });
    const version = await nextHideVersion(trx, circleId, postId);
    await recordAudit(trx, {
      circleId,
      action: AuditAction.POST_HIDDEN,
      actorId: callerId,
      targetId: post.authorId,
      details: { postId, hideReason: req.reason, ...(req.note && { reason: req.note }) },
      at: caller.now,
    });
    await app.emit(trx, callerId, {
      case: 'circlePostHidden',
      value: {
        circleId,
        postId,
        authorId: post.authorId,
        hiddenByUserId: callerId,
        reason: req.reason,
        note: req.note,
        version,
      },
    });
    const [hidden] = await hiddenPostMessages(trx, [row]);
    return hidden!;
  });
}

/**
 * UnhidePost (whoever may hide the post, by its author's role now): ends the hide, with the
 * POST_UNHIDDEN audit entry (the ended hide's reason) and circle.post_unhidden with the hide's
 * next version. Succeeds without a change when the post is not hidden in the circle. Post is
 * not asked: the hide names the author, and a hide of a post deleted since can still be ended.
 */
export async function unhidePost(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; postId: string },
): Promise<void> {
  const callerId = caller.principal.userId;
  const { circleId, postId } = req;
  await app.database.transaction(async (trx) => {
    const { membership } = await requireCircle(trx, callerId, circleId, 'hidePosts', {
      lock: true,
    });
    const standing = await lockHiddenPost(trx, circleId, postId);
    if (!standing) return;
    await requireMayHide(trx, circleId, membership, standing.author_id);
    await deleteHiddenPost(trx, circleId, postId);
    const version = await nextHideVersion(trx, circleId, postId);
    await recordAudit(trx, {
      circleId,
      action: AuditAction.POST_UNHIDDEN,
      actorId: callerId,
      targetId: standing.author_id,
      details: { postId, hideReason: standing.reason },
      at: caller.now,
    });
    await app.emit(trx, callerId, {
      case: 'circlePostUnhidden',
      value: {
        circleId,
        postId,
        authorId: standing.author_id,
        unhiddenByUserId: callerId,
        version,
      },
    });
  });
}

/** ListHiddenPosts (OWNER or ADMIN): the posts hidden in the circle, newest hide first. */
export async function listHiddenPosts(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; pageSize: number; pageToken: string },
) {
  const db = app.database.db;
  await requireCircle(db, caller.principal.userId, req.circleId, 'hidePosts');
  const page = await hiddenPostsPage(db, { ...req, codec: app.pageTokens });
  return {
    hiddenPosts: await hiddenPostMessages(db, page.items),
    nextPageToken: page.nextPageToken,
  };
}
