import { compileOnlyDialect } from '@kith/db';
import { Kysely, sql } from 'kysely';
import type { RawBuilder, SqlBool } from 'kysely';
import type { PostDatabase } from '../db/schema.js';
import { AUDIENCE } from '../db/schema.js';

/** ModerationState values as stored in posts.moderation_state. */
export const MODERATION = { NONE: 1, UNDER_REVIEW: 2, HIDDEN: 3, LIMITED: 4, MARKED_SENSITIVE: 5 };

/** CircleRole values of the members who still read posts hidden in their circle. */
const CIRCLE_STAFF = [1, 2];

/** Who reads the posts (undefined: an anonymous reader). */
export type Viewer = string | undefined;

/**
 * Builds (never runs) the subqueries of the rules below. Embedded in a query of the service's
 * own handle, their tables get its schema like every other table of the query, which a table
 * named in raw SQL would not.
 */
const q = new Kysely<PostDatabase>({ dialect: compileOnlyDialect() });
const one = sql.lit(1).as('one');
const exists = (subquery: { compile: unknown }) => sql<SqlBool>`exists (${subquery})`;

/** Live: neither deleted nor past its expiry. */
export function live(now: Date, p = 'p'): RawBuilder<SqlBool> {
  const t = sql.table(p);
  return sql<SqlBool>`(${t}.deleted_at is null and (${t}.expires_at is null or ${t}.expires_at > ${now}))`;
}

/** Whether either of the two users blocks the other (`a` and `b` are SQL expressions). */
export function blockedEitherWay(
  a: RawBuilder<unknown>,
  b: RawBuilder<unknown>,
): RawBuilder<SqlBool> {
  return exists(
    q
      .selectFrom('blocks as b')
      .select(one)
      .where(
        sql<SqlBool>`(b.blocker_id = ${a} and b.blocked_id = ${b}) or (b.blocker_id = ${b} and b.blocked_id = ${a})`,
      ),
  );
}

/**
 * Whether moderation keeps the author's posts from everyone but the author: a ban, or a
 * suspension still running at `now`.
 */
function authorWithheld(authorId: RawBuilder<unknown>, now: Date): RawBuilder<SqlBool> {
  return exists(
    q
      .selectFrom('users as u')
      .select(one)
      .where(
        sql<SqlBool>`u.user_id = ${authorId} and (u.banned or (u.suspended and (u.suspended_until is null or u.suspended_until > ${now})))`,
      ),
  );
}

/** Whether the post (alias `p`) is LIMITED: by its own state or its author's account. */
export function limitedPost(p = 'p'): RawBuilder<SqlBool> {
  const col = (name: string) => sql.ref(`${p}.${name}`);
  return sql<SqlBool>`(${col('moderation_state')} = ${MODERATION.LIMITED} or ${exists(
    q
      .selectFrom('users as u')
      .select(one)
      .where(sql<SqlBool>`u.user_id = ${col('author_id')} and u.limited`),
  )})`;
}

/**
 * Moderation leaves the post (alias `p`) up for readers other than its author: not hidden, not
 * under review, its author neither banned nor suspended.
 */
export function upForOthers(now: Date, p = 'p'): RawBuilder<SqlBool> {
  const col = (name: string) => sql.ref(`${p}.${name}`);
  return sql<SqlBool>`(${col('moderation_state')} not in (${MODERATION.UNDER_REVIEW}, ${MODERATION.HIDDEN}) and not ${authorWithheld(col('author_id'), now)})`;
}

/** Whether the user `viewer` (an SQL expression) follows the user `whom`. */
function follows(viewer: RawBuilder<unknown>, whom: RawBuilder<unknown>): RawBuilder<SqlBool> {
  return exists(
    q
      .selectFrom('follows as f')
      .select(one)
      .where(sql<SqlBool>`f.follower_id = ${viewer} and f.followee_id = ${whom}`),
  );
}

/**
 * The one rule for who reads a post (alias `p`), on every read, list, count and search:
 * - nobody reads a deleted or expired post;
 * - its author always does (moderation states included);
 * - anyone else only when moderation leaves it up (not UNDER_REVIEW or HIDDEN, its author
 *   neither banned nor suspended), no block stands
 *   between them and the author, and the audience admits them: PUBLIC everyone (a LIMITED
 *   author's only their followers), FOLLOWERS the audience owner's followers and the users
 *   granted at publication, MENTIONED_ONLY those granted, CIRCLES the members of an audience
 *   circle that is not deleted, where the post (or its thread's root) is not hidden — unless
 *   they are its OWNER or an ADMIN.
 * Anonymous readers get PUBLIC posts moderation leaves up and does not limit.
 */
export function visibleTo(viewer: Viewer, now: Date, p = 'p'): RawBuilder<SqlBool> {
  const col = (name: string) => sql.ref(`${p}.${name}`);
  if (viewer === undefined) {
    return sql<SqlBool>`(${live(now, p)} and ${col('audience')} = ${AUDIENCE.PUBLIC} and ${upForOthers(now, p)} and not ${limitedPost(p)})`;
  }
  return visibleToUser(sql`${viewer}::uuid`, now, p);
}

/**
 * `visibleTo` for a signed-in reader given as an SQL expression (a column of another table).
 * `ignoreBlocks`: the audience alone decides (moderation's report snapshots).
 */
export function visibleToUser(
  viewer: RawBuilder<unknown>,
  now: Date,
  p = 'p',
  options: { ignoreBlocks?: boolean } = {},
): RawBuilder<SqlBool> {
  const col = (name: string) => sql.ref(`${p}.${name}`);
  const granted = sql<SqlBool>`(${viewer} = ${col('audience_owner_id')} or ${viewer} = any(${col('granted_user_ids')}))`;
  const notHidden = exists(
    q
      .selectFrom('circle_hides as h')
      .select(one)
      .where(
        sql<SqlBool>`h.circle_id = m.circle_id and h.active and h.post_id in (${col('id')}, ${col('root_post_id')})`,
      ),
  );
  const inCircle = exists(
    q
      .selectFrom('circle_members as m')
      .innerJoin('circles as c', 'c.circle_id', 'm.circle_id')
      .select(one)
      .where(
        sql<SqlBool>`m.user_id = ${viewer} and m.role > 0 and not c.deleted and m.circle_id = any(${col('circle_ids')})
          and (m.role in (${sql.join(CIRCLE_STAFF)}) or not ${notHidden})`,
      ),
  );
  return sql<SqlBool>`(${live(now, p)} and (${col('author_id')} = ${viewer} or (
    ${upForOthers(now, p)}
    and ${options.ignoreBlocks ? sql`true` : sql`not ${blockedEitherWay(viewer, col('author_id'))}`}
    and case ${col('audience')}
      when ${AUDIENCE.PUBLIC} then not ${limitedPost(p)} or ${follows(viewer, col('author_id'))}
      when ${AUDIENCE.FOLLOWERS} then ${granted} or ${follows(viewer, col('audience_owner_id'))}
      when ${AUDIENCE.MENTIONED_ONLY} then ${granted}
      when ${AUDIENCE.CIRCLES} then ${inCircle}
      else false end)))`;
}

/** Not muted by the viewer (a mute past its expiry no longer counts); true for anonymous. */
export function notMutedBy(
  viewer: Viewer,
  now: Date,
  userId: RawBuilder<unknown>,
): RawBuilder<SqlBool> {
  if (viewer === undefined) return sql<SqlBool>`true`;
  return sql<SqlBool>`not ${exists(
    q
      .selectFrom('mutes as mu')
      .select(one)
      .where(
        sql<SqlBool>`mu.muter_id = ${viewer} and mu.muted_id = ${userId} and (mu.expires_at is null or mu.expires_at > ${now})`,
      ),
  )}`;
}
