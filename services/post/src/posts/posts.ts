import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { fetchPage } from '@kith/db';
import { AbortedError, FailedPreconditionError, NotFoundError } from '@kith/errors';
import { PostDeletionReason } from '@kith/gen/kith/events/v1/post_events_pb.js';
import { RuleScope } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import type {
  CreatePostRequest,
  EditPostRequest,
  GetPostHistoryRequest,
  GetPostHistoryResponseSchema,
} from '@kith/gen/kith/post/v1/post_pb.js';
import { checkContentFailOpen } from '@kith/runtime';
import type { Caller, SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { PostApp } from '../app.js';
import type { PostDatabase } from '../db/schema.js';
import { AUDIENCE } from '../db/schema.js';
import type { PostClients } from '../internal-clients.js';
import { eventMedia, letGoOf, requireOwnReadyMedia } from '../media/media.js';
import {
  mayAmplify,
  narrowsOrKeeps,
  requireAmplifiable,
  requireMemberOfAll,
  storedAudience,
} from './audience.js';
import type { StoredAudience } from './audience.js';
import { emitCreated, emitMentioned, eventAudience } from './post-events.js';
import type { QuoteCounts } from './post-events.js';
import {
  bumpCount,
  deleteRepost,
  markDeleted,
  repostsOf,
  revisionsOf,
  updatePostContent,
  insertPost,
  insertRevision,
  ownPost,
  visiblePost,
  visiblePosts,
} from './post-store.js';
import type { PostRecord, PostTrx } from './post-store.js';
import { anonymousPost } from './anonymous-cache.js';
import type { Post } from '@kith/gen/kith/post/v1/types_pb.js';
import { audienceMessage, postMessages } from './post-view.js';
import { viewerCircles } from './view-store.js';
import type { PostMessage } from './post-view.js';
import { readersAmong, resolveMentions } from './mention-store.js';
import { parseText, requirePlainText } from './text.js';

export const REJECTED_BY_RULE = 'post.rejected_by_rule';
type Db = Kysely<PostDatabase>;
const viewerOf = (caller: Caller) => caller.principal?.userId;
const notFound = () => new NotFoundError('post not found');

/** Text and content warning pass moderation's pre-publication check (fails open). */
async function checkPostText(
  app: PostApp,
  clients: PostClients,
  authorId: string,
  scope: RuleScope,
  texts: { text?: string | undefined; contentWarning?: string | undefined },
  postId?: string,
): Promise<void> {
  const fields: { field: string; text: string }[] = [];
  if (texts.text) fields.push({ field: 'text', text: texts.text });
  if (texts.contentWarning) fields.push({ field: 'content_warning', text: texts.contentWarning });
  await checkContentFailOpen(
    clients.moderation,
    app.logger,
    {
      authorId,
      scope,
      fields,
      edited: postId ? { kind: { case: 'postId', value: postId } } : undefined,
    },
    { fieldPrefix: '', ruleId: REJECTED_BY_RULE },
  );
}

/** The post as the viewer sees it (one of theirs, just written or read). */
async function messageOf(
  app: PostApp,
  db: Db,
  viewer: string | undefined,
  row: PostRecord,
  now: Date,
): Promise<PostMessage> {
  return (await postMessages(db, viewer, [row], now, app.media))[0]!;
}

/**
 * CreatePost: a post, a reply (inheriting its parent's audience, so a thread shares its root's)
 * or a quote (only of what may be amplified). Mentions grant the root's readers at publication
 * and notify only users who may read the post.
 */
export async function createPost(
  app: PostApp,
  clients: PostClients,
  caller: SignedInCaller,
  req: CreatePostRequest,
): Promise<PostMessage> {
  const authorId = caller.principal.userId;
  requirePlainText({ text: req.text, content_warning: req.contentWarning });
  await app.quotas.posts(authorId);
  await checkPostText(
    app,
    clients,
    authorId,
    req.replyToPostId ? RuleScope.REPLY : RuleScope.POST,
    req,
  );
  const now = caller.now;
  const parsed = parseText(req.text);
  return app.database.transaction(async (trx) => {
    await requireOwnReadyMedia(trx, authorId, req.mediaIds);
    const parent = req.replyToPostId
      ? await visiblePost(trx, authorId, req.replyToPostId, now)
      : undefined;
    if (req.replyToPostId && !parent) throw notFound();
    const mentions = await resolveMentions(trx, authorId, parsed.usernames);
    const id = uuidv7();
    let audience: StoredAudience & { audience_owner_id: string; granted_user_ids: string[] };
    if (parent) {
      audience = {
        audience: parent.audience,
        circle_ids: parent.circle_ids,
        audience_owner_id: parent.audience_owner_id,
        granted_user_ids: parent.granted_user_ids,
      };
    } else {
      const requested = storedAudience(req.audience!);
      await requireMemberOfAll(trx, authorId, requested.circle_ids);
      audience = {
        ...requested,
        audience_owner_id: authorId,
        granted_user_ids: mentions.map((m) => m.user_id).filter((u) => u !== authorId),
      };
    }
    let quoted: PostRecord | undefined;
    if (req.quotePostId) {
      quoted = await visiblePost(trx, authorId, req.quotePostId, now);
      if (!quoted) throw notFound();
      requireAmplifiable(quoted, authorId, 'quote');
      if (
        quoted.audience === AUDIENCE.FOLLOWERS &&
        !(audience.audience === AUDIENCE.FOLLOWERS && audience.audience_owner_id === authorId)
      ) {
        throw new FailedPreconditionError(
          'a quote of a followers-only post must itself be FOLLOWERS',
        );
      }
    }
    const row = await insertPost(trx, {
      id,
      author_id: authorId,
      text: req.text,
      content_warning: req.contentWarning,
      sensitive: req.sensitive,
      language: req.language,
      media_ids: req.mediaIds,
      ...audience,
      mentions,
      hashtags: parsed.hashtags,
      reply_to_post_id: parent?.id ?? null,
      root_post_id: parent?.root_post_id ?? id,
      quote_post_id: quoted?.id ?? null,
      depth: parent ? parent.depth + 1 : 0,
      created_at: now,
      edited_at: null,
      expires_at: req.expiresAt ? timestampDate(req.expiresAt) : null,
    });
    const parentCounts = parent ? await bumpCount(trx, parent.id, 'reply_count', 1) : undefined;
    let quoteCounts: QuoteCounts | undefined;
    if (quoted) {
      const counts = await bumpCount(trx, quoted.id, 'quote_count', 1);
      quoteCounts = { authorId: quoted.author_id, ...counts };
    }
    const notify = await readersAmong(
      trx,
      id,
      mentions.map((m) => m.user_id).filter((u) => u !== authorId),
      now,
    );
    await emitCreated(app, trx, row, {
      parent: parent && parentCounts ? { authorId: parent.author_id, ...parentCounts } : undefined,
      quote: quoteCounts,
      notify,
    });
    return messageOf(app, trx, authorId, row, now);
  });
}

/** GetPost: NotFound unless the caller may see it. */
export async function getPost(
  app: PostApp,
  caller: Caller,
  postId: string,
): Promise<PostMessage | Post> {
  const viewer = viewerOf(caller);
  const read = async () => {
    const row = await visiblePost(app.database.db, viewer, postId, caller.now);
    if (!row) return undefined;
    return { post: await messageOf(app, app.database.db, viewer, row, caller.now), row };
  };
  // Signed out, everyone gets the same answer: cached (anonymous-cache.ts).
  const post =
    viewer === undefined
      ? await anonymousPost(app, postId, caller.now, async () => {
          const found = await read();
          return found && { post: found.post, expiresAt: found.row.expires_at };
        })
      : (await read())?.post;
  if (!post) throw notFound();
  return post;
}

/** GetPosts: the visible ones, in request order. */
export async function getPosts(
  app: PostApp,
  caller: Caller,
  postIds: readonly string[],
): Promise<PostMessage[]> {
  const viewer = viewerOf(caller);
  const rows = await visiblePosts(app.database.db, viewer, postIds, caller.now);
  const ordered = postIds.map((id) => rows.get(id)).filter((r): r is PostRecord => r !== undefined);
  return postMessages(app.database.db, viewer, ordered, caller.now, app.media);
}

/**
 * EditPost: one of the caller's posts, by field mask; keeps a revision. Never adds readers:
 * the audience may only narrow (removing other users' reposts the new audience refuses), and
 * mentions added to a FOLLOWERS or MENTIONED_ONLY post are refused.
 */
export async function editPost(
  app: PostApp,
  clients: PostClients,
  caller: SignedInCaller,
  req: EditPostRequest,
): Promise<PostMessage> {
  const authorId = caller.principal.userId;
  const paths = new Set(req.updateMask?.paths ?? []);
  const has = (path: string) => paths.has(path);
  requirePlainText({
    text: has('text') ? req.text : undefined,
    content_warning: has('content_warning') ? req.contentWarning : undefined,
  });
  const now = caller.now;
  const current = await ownPost(app.database.db, authorId, req.postId);
  if (!current) throw notFound();
  await checkPostText(
    app,
    clients,
    authorId,
    current.reply_to_post_id ? RuleScope.REPLY : RuleScope.POST,
    {
      text: has('text') ? req.text : undefined,
      contentWarning: has('content_warning') ? req.contentWarning : undefined,
    },
    req.postId,
  );
  return app.database.transaction(async (trx) => {
    const post = await ownPost(trx, authorId, req.postId, { lock: true });
    if (!post) throw notFound();
    if (has('media_ids')) await requireOwnReadyMedia(trx, authorId, req.mediaIds);
    if (req.baseRevision !== 0 && req.baseRevision !== post.revision) {
      throw new AbortedError(`the post is at revision ${post.revision}, not ${req.baseRevision}`);
    }
    let next: StoredAudience = { audience: post.audience, circle_ids: post.circle_ids };
    if (has('audience')) {
      if (post.reply_to_post_id)
        throw new FailedPreconditionError("a reply's audience is its parent's");
      next = storedAudience(req.audience!);
      if (!narrowsOrKeeps(post, next))
        throw new FailedPreconditionError('an edit may only narrow the audience');
    }
    const text = has('text') ? req.text : post.text;
    const mentions = has('text')
      ? await resolveMentions(trx, authorId, parseText(text).usernames)
      : post.mentions;
    const before = new Set(post.mentions.map((m) => m.user_id));
    const added = mentions.map((m) => m.user_id).filter((u) => !before.has(u) && u !== authorId);
    if (
      added.length > 0 &&
      (next.audience === AUDIENCE.FOLLOWERS || next.audience === AUDIENCE.MENTIONED_ONLY)
    ) {
      throw new FailedPreconditionError(
        'mentions cannot be added to a followers-only or mentioned-only post',
      );
    }
    const updated = await updatePostContent(trx, post.id, {
      text,
      content_warning: has('content_warning') ? req.contentWarning : post.content_warning,
      sensitive: has('sensitive') ? req.sensitive : post.sensitive,
      language: has('language') ? req.language : post.language,
      audience: next.audience,
      circle_ids: next.circle_ids,
      mentions,
      hashtags: parseText(text).hashtags,
      media_ids: has('media_ids') ? req.mediaIds : post.media_ids,
      edited_at: now,
    });
    const kept = new Set(updated.media_ids);
    await letGoOf(
      trx,
      post.media_ids.filter((m) => !kept.has(m)),
      now,
    );
    await insertRevision(trx, updated);
    const dropped = await dropRefusedReposts(app, trx, updated);
    await app.emit(trx, authorId, {
      case: 'postEdited',
      value: {
        postId: updated.id,
        authorId,
        revision: updated.revision,
        audience: eventAudience(updated),
        previousAudience: eventAudience(post),
        text: updated.text,
        mentionedUserIds: mentions.map((m) => m.user_id),
        addedMentionedUserIds: added,
        hashtags: updated.hashtags,
        contentWarning: updated.content_warning,
        sensitive: updated.sensitive,
        language: updated.language,
        quotePostId: updated.quote_post_id ?? '',
        replyToPostId: updated.reply_to_post_id ?? '',
        rootPostId: updated.root_post_id,
        media: await eventMedia(trx, updated.media_ids),
        version: BigInt(updated.version) + BigInt(dropped),
      },
    });
    await emitMentioned(app, trx, updated, await readersAmong(trx, updated.id, added, now));
    const fresh = dropped > 0 ? (await visiblePost(trx, authorId, updated.id, now))! : updated;
    return messageOf(app, trx, authorId, fresh, now);
  });
}

/** Removes the reposts a narrowed audience no longer allows (post.unreposted each); how many. */
async function dropRefusedReposts(app: PostApp, trx: PostTrx, post: PostRecord): Promise<number> {
  const reposts = await repostsOf(trx, post.id);
  const refused = reposts.filter((r) => !mayAmplify(post, r.user_id));
  for (const repost of refused) {
    await deleteRepost(trx, repost.id);
    const counts = await bumpCount(trx, post.id, 'repost_count', -1);
    await app.emit(trx, repost.user_id, {
      case: 'postUnreposted',
      value: {
        postId: post.id,
        postAuthorId: post.author_id,
        userId: repost.user_id,
        repostCount: counts.count,
        version: counts.version,
      },
    });
  }
  return refused.length;
}

/** GetPostHistory: every revision, the current first, for anyone who may see the post. */
export async function getPostHistory(
  app: PostApp,
  caller: Caller,
  req: GetPostHistoryRequest,
): Promise<MessageInitShape<typeof GetPostHistoryResponseSchema>> {
  const viewer = viewerOf(caller);
  const db = app.database.db;
  const post = await visiblePost(db, viewer, req.postId, caller.now);
  if (!post) throw notFound();
  const page = await fetchPage(revisionsOf(db, post.id), {
    columns: [{ ref: 'revision', direction: 'desc' }],
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `post-history:${post.id}`,
    keysOf: () => [],
    idOf: (r) => String(r.revision),
  });
  // The circles a revision names are cut to the reader's own, as on the post.
  const named = page.items.flatMap((r) => r.circle_ids);
  const shown = new Set(
    viewer === post.author_id
      ? named
      : viewer
        ? [...(await viewerCircles(db, viewer, named)).keys()]
        : [],
  );
  return {
    revisions: page.items.map((r) => ({
      revision: r.revision,
      text: r.text,
      contentWarning: r.content_warning,
      sensitive: r.sensitive,
      language: r.language,
      mediaIds: r.media_ids,
      audience: audienceMessage(
        r.audience,
        r.circle_ids.filter((c) => shown.has(c)),
      ),
      createdAt: timestampFromDate(r.created_at),
    })),
    nextPageToken: page.nextPageToken,
  };
}

/**
 * Deletes a post for `reason` (post.deleted): its text, content warning, entities and earlier
 * revisions are gone at once, the row stays as a tombstone that no read returns (replies stay,
 * under a deleted parent); its parent's reply count and its quoted post's quote count move.
 */
export async function softDelete(
  app: PostApp,
  trx: PostTrx,
  post: PostRecord,
  reason: PostDeletionReason,
  actorId: string | null,
  now: Date,
): Promise<void> {
  // A moderation removal keeps the content until a reversal brings the post back.
  const keepContent = reason === PostDeletionReason.MODERATION;
  const deleted = await markDeleted(trx, post.id, reason, now, keepContent);
  if (deleted === undefined) return;
  // Its media goes with the content (the purge takes it 24 h on, unless something holds it).
  if (!keepContent) await letGoOf(trx, post.media_ids, now);
  const parent = post.reply_to_post_id
    ? await bumpCount(trx, post.reply_to_post_id, 'reply_count', -1)
    : undefined;
  const quote = post.quote_post_id
    ? await bumpCount(trx, post.quote_post_id, 'quote_count', -1)
    : undefined;
  await app.emit(trx, actorId, {
    case: 'postDeleted',
    value: {
      postId: post.id,
      authorId: post.author_id,
      reason,
      audience: eventAudience(post),
      replyToPostId: post.reply_to_post_id ?? '',
      rootPostId: post.root_post_id,
      version: deleted,
      quotePostId: post.quote_post_id ?? '',
      parentReplyCount: parent?.count ?? 0,
      parentVersion: parent?.version ?? 0n,
      quotedPostQuoteCount: quote?.count ?? 0,
      quotedPostVersion: quote?.version ?? 0n,
    },
  });
}

/** DeletePost: one of the caller's own posts; anyone else's answers NotFound. */
export async function deletePost(
  app: PostApp,
  caller: SignedInCaller,
  postId: string,
): Promise<void> {
  const authorId = caller.principal.userId;
  await app.database.transaction(async (trx) => {
    const post = await ownPost(trx, authorId, postId, { lock: true });
    if (!post) throw notFound();
    await softDelete(app, trx, post, PostDeletionReason.AUTHOR, authorId, caller.now);
  });
}
