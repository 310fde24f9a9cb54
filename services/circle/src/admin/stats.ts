import type { MessageInitShape } from '@bufbuild/protobuf';
import type { GetStatsResponseSchema } from '@kith/gen/kith/circle/v1/circle_admin_pb.js';
import type { CircleApp } from '../app.js';
import {
  auditCounts,
  circlesCreatedIn,
  inviteCounts,
  joinRequestCounts,
  linksCreatedIn,
  postsHiddenIn,
  purgesIn,
  totalsAt,
} from './stats-store.js';
import type { StatsWindow } from './stats-store.js';

type Stats = MessageInitShape<typeof GetStatsResponseSchema>;

/**
 * GetStats (staff): what happened to circles, memberships, invites, join requests, bans and
 * hidden posts in the window, from the circle tables and their audit log, and the circles
 * standing at its end with their memberships. Aggregates only: nothing names a circle or a
 * person. What a purge or an erasure removed is no longer counted (stats-store.ts says how),
 * except the purge itself.
 */
export async function getStats(app: CircleApp, window: StatsWindow): Promise<Stats> {
  const db = app.database.db;
  const [created, purged, audit, hidden, invites, links, requests, totals] = await Promise.all([
    circlesCreatedIn(db, window),
    purgesIn(db, window),
    auditCounts(db, window),
    postsHiddenIn(db, window),
    inviteCounts(db, window, app.clock()),
    linksCreatedIn(db, window),
    joinRequestCounts(db, window),
    totalsAt(db, window.until),
  ]);
  return {
    totalCircles: BigInt(totals.circles),
    totalMemberships: BigInt(totals.memberships),
    medianCircleSize: Number(totals.median ?? 0),
    circlesCreated: BigInt(created),
    circlesDeleted: BigInt(audit.circles_deleted),
    circlesRestored: BigInt(audit.circles_restored),
    circlesPurged: BigInt(purged),
    membersJoined: BigInt(audit.members_joined),
    joinedViaInvite: BigInt(audit.joined_via_invite),
    joinedViaInviteLink: BigInt(audit.joined_via_invite_link),
    joinedViaJoinRequest: BigInt(audit.joined_via_join_request),
    membersLeft: BigInt(audit.members_left),
    membersRemoved: BigInt(audit.members_removed),
    bans: BigInt(audit.bans),
    invitesSent: BigInt(invites.sent),
    invitesAccepted: BigInt(invites.accepted),
    invitesDeclined: BigInt(invites.declined),
    invitesWithdrawn: BigInt(invites.withdrawn),
    invitesExpired: BigInt(invites.expired),
    inviteLinksCreated: BigInt(links),
    joinRequestsCreated: BigInt(requests.created),
    joinRequestsApproved: BigInt(requests.approved),
    joinRequestsRejected: BigInt(requests.rejected),
    joinRequestsWithdrawn: BigInt(requests.withdrawn),
    joinRequestsExpired: BigInt(requests.expired),
    postsHidden: BigInt(hidden),
  };
}
