import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { recordEvent } from '@kith/runtime';
import type { SignedInCaller } from '@kith/runtime';
import { UserUnmuteReason } from '@kith/gen/kith/events/v1/user_events_pb.js';
import type { UserApp } from '../app.js';
import { graphDb, sharedGraph } from './graph-db.js';
import { deleteExpiredMutes, deleteMute, mutesPage, upsertMute } from './mute-store.js';
import { lockPair, nextEdgeVersion } from './relationship-store.js';
import {
  relationshipWith,
  requireOtherUser,
  requireReachable,
  toUserSummary,
} from './relationships.js';

/**
 * Mute: for `durationMs` or until unmuted, optionally with notifications; a re-mute replaces
 * the terms. Publishes user.muted. NotFound for an unknown or hidden user and one who blocks
 * the caller.
 */
export async function mute(
  app: UserApp,
  caller: SignedInCaller,
  input: { userId: string; durationMs: number | undefined; includeNotifications: boolean },
) {
  requireOtherUser(caller, input.userId);
  const callerId = caller.principal.userId;
  const expiresAt =
    input.durationMs === undefined ? null : new Date(caller.now.getTime() + input.durationMs);
  return app.database.transaction(async (trx) => {
    const db = graphDb(trx);
    await lockPair(sharedGraph(db), callerId, input.userId);
    await requireReachable(db, callerId, input.userId, caller.now);
    await upsertMute(db, {
      muterId: callerId,
      mutedId: input.userId,
      includeNotifications: input.includeNotifications,
      expiresAt,
      now: caller.now,
    });
    const version = await nextEdgeVersion(sharedGraph(db), 'mute', callerId, input.userId);
    await app.emit(trx, callerId, {
      case: 'userMuted',
      value: {
        muterId: callerId,
        mutedId: input.userId,
        expiresAt: expiresAt ? timestampFromDate(expiresAt) : undefined,
        includeNotifications: input.includeNotifications,
        version,
      },
    });
    return relationshipWith(db, callerId, input.userId, caller.now);
  });
}

/** Unmute: ends the mute (user.unmuted, reason UNMUTED); succeeds when there is none. */
export async function unmute(app: UserApp, caller: SignedInCaller, userId: string) {
  requireOtherUser(caller, userId);
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const db = graphDb(trx);
    await lockPair(sharedGraph(db), callerId, userId);
    if (await deleteMute(db, callerId, userId)) {
      const version = await nextEdgeVersion(sharedGraph(db), 'mute', callerId, userId);
      await app.emit(trx, callerId, {
        case: 'userUnmuted',
        value: { muterId: callerId, mutedId: userId, reason: UserUnmuteReason.UNMUTED, version },
      });
    }
    return relationshipWith(db, callerId, userId, caller.now);
  });
}

/** ListMutes: whom the caller mutes, newest first; a mute past its end is left out at once. */
export async function listMutes(
  app: UserApp,
  caller: SignedInCaller,
  request: { pageSize: number; pageToken: string },
) {
  const page = await mutesPage(graphDb(app.database.db), {
    muterId: caller.principal.userId,
    now: caller.now,
    ...request,
    codec: app.pageTokens,
  });
  return {
    mutes: page.items.map((row) => ({
      user: toUserSummary(row),
      mutedAt: timestampFromDate(row.created_at),
      expiresAt: row.expires_at ? timestampFromDate(row.expires_at) : undefined,
      includeNotifications: row.include_notifications,
    })),
    nextPageToken: page.nextPageToken,
  };
}

const EXPIRY_BATCH = 200;

/**
 * Ends every mute past its end at the app clock's now: each is deleted and announced
 * (user.unmuted, reason EXPIRED) in one transaction, so a mute expires exactly once however
 * many runs overlap. Returns how many ended.
 */
export async function expireMutes(app: UserApp): Promise<number> {
  let total = 0;
  for (;;) {
    const now = app.clock();
    const ended = await app.database.transaction(async (trx) => {
      const db = graphDb(trx);
      const expired = await deleteExpiredMutes(db, now, EXPIRY_BATCH);
      for (const { muterId, mutedId } of expired) {
        const version = await nextEdgeVersion(sharedGraph(db), 'mute', muterId, mutedId);
        // The system ended it, not the muter (realtime.proto: "actor the system").
        await recordEvent(trx, {
          source: 'user',
          actor: { system: true },
          payload: {
            case: 'userUnmuted',
            value: { muterId, mutedId, reason: UserUnmuteReason.EXPIRED, version },
          },
          occurredAt: now,
        });
      }
      return expired.length;
    });
    total += ended;
    if (ended < EXPIRY_BATCH) return total;
  }
}
