import { AuditAction, JoinVia, RequestStatus } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { CircleDatabase } from '../db/schema.js';

export type StatsDb = CircleDatabase;

/** A window of GetStats: `since` inclusive, `until` exclusive. */
export interface StatsWindow {
  since: Date;
  until: Date;
}

/** A count as the driver hands it back (bigint: a string from pg). */
type Count = string | number | bigint;

/** The audit entries that start or end a membership (a ban of someone not a member ends none). */
const MEMBERSHIP_EVENTS = [
  AuditAction.CIRCLE_CREATED,
  AuditAction.MEMBER_JOINED,
  AuditAction.MEMBER_LEFT,
  AuditAction.MEMBER_REMOVED,
  AuditAction.MEMBER_BANNED,
];

/** Records that a circle was purged (GetStats' circles_purged); nothing names the circle. */
export async function recordPurge(db: Kysely<StatsDb>, at: Date): Promise<void> {
  await db.insertInto('circle_purges').values({ id: uuidv7(), purged_at: at }).execute();
}

/** Circles purged in the window. */
export async function purgesIn(db: Kysely<StatsDb>, window: StatsWindow): Promise<Count> {
  const row = await db
    .selectFrom('circle_purges')
    .select((eb) => eb.fn.countAll<Count>().as('n'))
    .where('purged_at', '>=', window.since)
    .where('purged_at', '<', window.until)
    .executeTakeFirstOrThrow();
  return row.n;
}

/** Circles created in the window (a purged circle is gone, and with it its creation). */
export async function circlesCreatedIn(db: Kysely<StatsDb>, window: StatsWindow): Promise<Count> {
  const row = await db
    .selectFrom('circles')
    .select((eb) => eb.fn.countAll<Count>().as('n'))
    .where('created_at', '>=', window.since)
    .where('created_at', '<', window.until)
    .executeTakeFirstOrThrow();
  return row.n;
}

/**
 * The audit log's counts of the window: deletions and restorations, joins (by way of joining:
 * `details.joinedVia`), leaves, removals and bans. Creating a circle records no MEMBER_JOINED,
 * so an owner's own membership is never a join.
 */
export async function auditCounts(db: Kysely<StatsDb>, window: StatsWindow) {
  const joinedVia = sql<string>`details->>'joinedVia'`;
  return db
    .selectFrom('audit_log')
    .select((eb) => {
      const of = (action: AuditAction) =>
        eb.fn.countAll<Count>().filterWhere('action', '=', action);
      const joinedBy = (via: JoinVia) =>
        eb.fn
          .countAll<Count>()
          .filterWhere((f) =>
            f.and([f('action', '=', AuditAction.MEMBER_JOINED), f(joinedVia, '=', String(via))]),
          );
      return [
        of(AuditAction.CIRCLE_DELETED).as('circles_deleted'),
        of(AuditAction.CIRCLE_RESTORED).as('circles_restored'),
        of(AuditAction.MEMBER_JOINED).as('members_joined'),
        joinedBy(JoinVia.INVITE).as('joined_via_invite'),
        joinedBy(JoinVia.INVITE_LINK).as('joined_via_invite_link'),
        joinedBy(JoinVia.JOIN_REQUEST).as('joined_via_join_request'),
        of(AuditAction.MEMBER_LEFT).as('members_left'),
        of(AuditAction.MEMBER_REMOVED).as('members_removed'),
        of(AuditAction.MEMBER_BANNED).as('bans'),
      ];
    })
    .where('action', 'in', [
      AuditAction.CIRCLE_DELETED,
      AuditAction.CIRCLE_RESTORED,
      AuditAction.MEMBER_JOINED,
      AuditAction.MEMBER_LEFT,
      AuditAction.MEMBER_REMOVED,
      AuditAction.MEMBER_BANNED,
    ])
    .where('created_at', '>=', window.since)
    .where('created_at', '<', window.until)
    .executeTakeFirstOrThrow();
}

/**
 * Posts hidden in the window (POST_HIDDEN), re-hides not counted: a hide counts when the
 * post's previous hide or unhide in the circle, at any time before, was not a hide.
 */
export async function postsHiddenIn(db: Kysely<StatsDb>, window: StatsWindow): Promise<Count> {
  const hides = db
    .selectFrom('audit_log')
    .select([
      'action',
      'created_at',
      sql<number | null>`lag(action) over (
        partition by circle_id, details->>'postId' order by created_at, id
      )`.as('previous'),
    ])
    .where('action', 'in', [AuditAction.POST_HIDDEN, AuditAction.POST_UNHIDDEN])
    .where('created_at', '<', window.until);
  const row = await db
    .selectFrom(hides.as('h'))
    .select((eb) => eb.fn.countAll<Count>().as('n'))
    .where('h.action', '=', AuditAction.POST_HIDDEN)
    .where('h.created_at', '>=', window.since)
    .where('h.previous', 'is distinct from', AuditAction.POST_HIDDEN)
    .executeTakeFirstOrThrow();
  return row.n;
}

/**
 * Direct invites sent in the window, and those that reached each end state in it. A pending
 * invite expires at its expires_at (it reads as EXPIRED from then on, and is closed later, when
 * someone next looks): one closed so, or still pending with its expiry past (`now`), counts at
 * expires_at; one ended early by its circle's deletion, at decided_at.
 */
export async function inviteCounts(db: Kysely<StatsDb>, window: StatsWindow, now: Date) {
  const { since, until } = window;
  const endedAt = sql<Date>`least(decided_at, expires_at)`;
  return db
    .selectFrom('invites')
    .select((eb) => {
      const decided = (status: RequestStatus) =>
        eb.fn
          .countAll<Count>()
          .filterWhere((f) =>
            f.and([
              f('status', '=', status),
              f('decided_at', '>=', since),
              f('decided_at', '<', until),
            ]),
          );
      return [
        eb.fn
          .countAll<Count>()
          .filterWhere((f) => f.and([f('created_at', '>=', since), f('created_at', '<', until)]))
          .as('sent'),
        decided(RequestStatus.ACCEPTED).as('accepted'),
        decided(RequestStatus.DECLINED).as('declined'),
        decided(RequestStatus.WITHDRAWN).as('withdrawn'),
        eb.fn
          .countAll<Count>()
          .filterWhere((f) =>
            f.or([
              f.and([
                f('status', '=', RequestStatus.EXPIRED),
                f(endedAt, '>=', since),
                f(endedAt, '<', until),
              ]),
              f.and([
                f('status', '=', RequestStatus.PENDING),
                f('expires_at', '>=', since),
                f('expires_at', '<', until),
                f('expires_at', '<=', now),
              ]),
            ]),
          )
          .as('expired'),
      ];
    })
    .executeTakeFirstOrThrow();
}

/** Invite links created in the window. */
export async function linksCreatedIn(db: Kysely<StatsDb>, window: StatsWindow): Promise<Count> {
  const row = await db
    .selectFrom('invite_links')
    .select((eb) => eb.fn.countAll<Count>().as('n'))
    .where('created_at', '>=', window.since)
    .where('created_at', '<', window.until)
    .executeTakeFirstOrThrow();
  return row.n;
}

/** Join requests made in the window, and those that reached each end state in it. */
export async function joinRequestCounts(db: Kysely<StatsDb>, window: StatsWindow) {
  const { since, until } = window;
  return db
    .selectFrom('join_requests')
    .select((eb) => {
      const decided = (status: RequestStatus) =>
        eb.fn
          .countAll<Count>()
          .filterWhere((f) =>
            f.and([
              f('status', '=', status),
              f('decided_at', '>=', since),
              f('decided_at', '<', until),
            ]),
          );
      return [
        eb.fn
          .countAll<Count>()
          .filterWhere((f) => f.and([f('created_at', '>=', since), f('created_at', '<', until)]))
          .as('created'),
        decided(RequestStatus.ACCEPTED).as('approved'),
        decided(RequestStatus.DECLINED).as('rejected'),
        decided(RequestStatus.WITHDRAWN).as('withdrawn'),
        decided(RequestStatus.EXPIRED).as('expired'),
      ];
    })
    .executeTakeFirstOrThrow();
}

/**
 * The circles that exist at `until`, not deleted, with their members then: how many circles,
 * how many memberships, and the median members per circle (0 without circles). The state at
 * `until` is what everything before it left:
 * - a circle exists when it was created before `until` and its last deletion or restoration
 *   before then (audit log), if any, was a restoration;
 * - someone is a member when they are one now and joined before `until`, or when their last
 *   membership entry before `until` (audit log: the circle's creation for its creator, a join,
 *   a leave, a removal, a ban) was the creation or a join.
 * An erased account's entries no longer name it, so a membership it held then, and has lost
 * since, is not counted; a purged circle is gone with its log.
 */
export async function totalsAt(db: Kysely<StatsDb>, until: Date) {
  return db
    .with('last_deletions', (q) =>
      q
        .selectFrom('audit_log')
        .distinctOn('circle_id')
        .select(['circle_id', 'action'])
        .where('action', 'in', [AuditAction.CIRCLE_DELETED, AuditAction.CIRCLE_RESTORED])
        .where('created_at', '<', until)
        .orderBy('circle_id')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc'),
    )
    .with('standing', (q) =>
      q
        .selectFrom('circles')
        .select('id')
        .where('created_at', '<', until)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('last_deletions')
                .select('last_deletions.circle_id')
                .whereRef('last_deletions.circle_id', '=', 'circles.id')
                .where('last_deletions.action', '=', AuditAction.CIRCLE_DELETED),
            ),
          ),
        ),
    )
    .with('membership_entries', (q) =>
      q
        .selectFrom('audit_log')
        .select([
          'circle_id',
          'action',
          'created_at',
          'id',
          sql<string | null>`case when action = ${AuditAction.CIRCLE_CREATED}
            then actor_id else target_id end`.as('person'),
        ])
        .where('action', 'in', MEMBERSHIP_EVENTS)
        .where('created_at', '<', until),
    )
    .with('last_membership_entries', (q) =>
      q
        .selectFrom('membership_entries')
        .distinctOn(['circle_id', 'person'])
        .select(['circle_id', 'person', 'action'])
        .where('person', 'is not', null)
        .$narrowType<{ person: string }>()
        .orderBy('circle_id')
        .orderBy('person')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc'),
    )
    .with('members_then', (q) =>
      q
        .selectFrom('members')
        .select(['circle_id', 'user_id as person'])
        .where('joined_at', '<', until)
        .union(
          q
            .selectFrom('last_membership_entries')
            .select(['circle_id', 'person'])
            .where('action', 'in', [AuditAction.CIRCLE_CREATED, AuditAction.MEMBER_JOINED]),
        ),
    )
    .with('sizes', (q) =>
      q
        .selectFrom('standing')
        .leftJoin('members_then', 'members_then.circle_id', 'standing.id')
        .select((eb) => ['standing.id', eb.fn.count<Count>('members_then.person').as('members')])
        .groupBy('standing.id'),
    )
    .selectFrom('sizes')
    .select((eb) => [
      eb.fn.countAll<Count>().as('circles'),
      eb.fn.coalesce(eb.fn.sum<Count>('members'), sql<Count>`0`).as('memberships'),
      sql<number | null>`percentile_cont(0.5) within group (order by members)`.as('median'),
    ])
    .executeTakeFirstOrThrow();
}
