import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { NotFoundError } from '@kith/errors';
import type {
  GetMembershipsRequest,
  GetReportSnapshotRequest,
  ListCircleMembershipsRequest,
  MembershipSchema,
} from '@kith/gen/kith/circle/v1/internal_pb.js';
import { CircleInternalService } from '@kith/gen/kith/circle/v1/internal_pb.js';
import { internalServiceDaemon } from '@kith/runtime';
import type { Daemon } from '@kith/runtime';
import type { CircleApp } from '../app.js';
import { circlesByIds } from '../circles/circle-store.js';
import type { MemberRow } from '../circles/circle-store.js';
import { safetyMessage } from '../circles/circle-view.js';
import {
  hasSeenCircle,
  liveCirclesOf,
  membershipsOfCircle,
  membershipsOfUser,
} from './internal-store.js';

type MembershipMessage = MessageInitShape<typeof MembershipSchema>;

function membershipMessage(row: MemberRow & { version: string }): MembershipMessage {
  return {
    circleId: row.circle_id,
    userId: row.user_id,
    role: row.role,
    safety: safetyMessage(row),
    joinedAt: timestampFromDate(row.joined_at),
    version: BigInt(row.version),
  };
}

/** GetMemberships: a user's memberships in circles that are not deleted, paged. */
async function getMemberships(app: CircleApp, req: GetMembershipsRequest) {
  const page = await membershipsOfUser(app.database.db, {
    userId: req.userId,
    circleIds: req.circleIds,
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
  });
  return { memberships: page.items.map(membershipMessage), nextPageToken: page.nextPageToken };
}

/** ListCircleMemberships: one circle's members, deleted circles too; NotFound once purged. */
async function listCircleMemberships(app: CircleApp, req: ListCircleMembershipsRequest) {
  const db = app.database.db;
  const circle = (await circlesByIds(db, [req.circleId])).get(req.circleId);
  if (!circle) throw new NotFoundError('circle not found');
  const page = await membershipsOfCircle(db, {
    circleId: req.circleId,
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
  });
  return {
    memberships: page.items.map(membershipMessage),
    circleDeleted: circle.deleted_at !== null,
    circleVersion: BigInt(circle.version),
    nextPageToken: page.nextPageToken,
  };
}

/**
 * GetReportSnapshot: the circle's reportable content for moderation, when the reporter could
 * see the circle or its preview (internal.proto); NotFound otherwise, as for a purged circle.
 */
async function getReportSnapshot(app: CircleApp, req: GetReportSnapshotRequest) {
  const db = app.database.db;
  const circle = (await circlesByIds(db, [req.id])).get(req.id);
  if (!circle || (!circle.discoverable && !(await hasSeenCircle(db, req.id, req.reporterId)))) {
    throw new NotFoundError('circle not found');
  }
  return {
    circle: {
      circleId: circle.id,
      ownerId: circle.owner_id,
      name: circle.name,
      description: circle.description,
      avatarMediaId: circle.avatar_media_id ?? '',
      rules: circle.rules,
      joinRule: circle.join_rule,
      discoverable: circle.discoverable,
      memberCount: circle.member_count,
      createdAt: timestampFromDate(circle.created_at),
      deletedAt: circle.deleted_at ? timestampFromDate(circle.deleted_at) : undefined,
      circleVersion: BigInt(circle.version),
      capturedAt: timestampFromDate(app.clock()),
    },
  };
}

/**
 * CircleInternalService on the bus while the service runs (NATS request/reply only): the
 * gateway's topic check, moderation's report snapshots, and the memberships post and support
 * build their projections from.
 */
export function circleInternalService(app: CircleApp): Daemon {
  return internalServiceDaemon(
    'circle-internal-service',
    app.ctx.bus,
    CircleInternalService,
    {
      authorizeTopics: async (req) => ({
        allowedIds: await liveCirclesOf(app.database.db, req.userId, req.ids),
      }),
      getMemberships: (req) => getMemberships(app, req),
      listCircleMemberships: (req) => listCircleMemberships(app, req),
      getReportSnapshot: (req) => getReportSnapshot(app, req),
    },
    app.logger,
  );
}
