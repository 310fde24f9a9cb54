import { NotFoundError } from '@kith/errors';
import type {
  GetCircleTimelineRequest,
  GetHashtagTimelineRequest,
  GetHomeTimelineRequest,
  GetUserTimelineRequest,
} from '@kith/gen/kith/post/v1/timeline_pb.js';
import type { Caller, SignedInCaller } from '@kith/runtime';
import type { PostApp } from '../app.js';
import { cachedHome } from './home-cache.js';
import { timelinePage } from './timeline-page.js';
import type { TimelinePage } from './timeline-page.js';
import {
  circleEntries,
  hashtagEntries,
  liveRoleIn,
  userEntries,
  userShownTo,
} from './timeline-store.js';

/**
 * GetHomeTimeline: posts and reposts by the caller and the people they follow, and posts in
 * the caller's circles, that the caller may see; muted users left out. Read from the caller's
 * cached list (fan-out on write, home-cache.ts), the same page the Postgres query gives.
 */
export async function getHomeTimeline(
  app: PostApp,
  caller: SignedInCaller,
  req: GetHomeTimelineRequest,
): Promise<TimelinePage> {
  const viewer = caller.principal.userId;
  const entries = cachedHome(app, viewer, caller.now, req);
  const binding = `home:${viewer}:${req.excludeReplies}:${req.excludeReposts}`;
  return timelinePage(app, viewer, caller.now, entries, req, binding);
}

/**
 * GetUserTimeline: one user's posts and reposts the caller may see; NotFound for a user post
 * does not know or one a block stands between.
 */
export async function getUserTimeline(
  app: PostApp,
  caller: Caller,
  req: GetUserTimelineRequest,
): Promise<TimelinePage> {
  const viewer = caller.principal?.userId;
  const db = app.database.db;
  if (!(await userShownTo(db, req.userId, viewer))) throw new NotFoundError('user not found');
  const entries = userEntries(db, req.userId, viewer, caller.now, req);
  const binding = `user:${req.userId}:${viewer ?? ''}:${req.excludeReplies}:${req.excludeReposts}:${req.onlyMedia}`;
  return timelinePage(app, viewer, caller.now, entries, req, binding);
}

/**
 * GetCircleTimeline: a circle's posts for its members (NotFound for anyone else); posts hidden
 * there are left out, except for its OWNER and ADMINs.
 */
export async function getCircleTimeline(
  app: PostApp,
  caller: SignedInCaller,
  req: GetCircleTimelineRequest,
): Promise<TimelinePage> {
  const viewer = caller.principal.userId;
  const db = app.database.db;
  const role = await liveRoleIn(db, req.circleId, viewer);
  if (role === undefined) throw new NotFoundError('circle not found');
  const entries = circleEntries(db, req.circleId, viewer, caller.now, {
    excludeReplies: req.excludeReplies,
    seesHidden: role === 1 || role === 2,
  });
  const binding = `circle:${req.circleId}:${viewer}:${req.excludeReplies}`;
  return timelinePage(app, viewer, caller.now, entries, req, binding);
}

/** A hashtag as stored: lower case, NFC, without "#". */
export const normalizeTag = (tag: string) => tag.normalize('NFC').toLowerCase();

/** GetHashtagTimeline: public posts with the hashtag, whoever asks. */
export async function getHashtagTimeline(
  app: PostApp,
  caller: Caller,
  req: GetHashtagTimelineRequest,
): Promise<TimelinePage> {
  const viewer = caller.principal?.userId;
  const tag = normalizeTag(req.hashtag);
  const entries = hashtagEntries(app.database.db, tag, viewer, caller.now);
  return timelinePage(app, viewer, caller.now, entries, req, `tag:${tag}:${viewer ?? ''}`);
}
