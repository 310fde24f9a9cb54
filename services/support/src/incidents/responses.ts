import { durationMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type {
  AcknowledgeRequest,
  ClaimResponseRequest,
  RespondRequest,
} from '@kith/gen/kith/support/v1/support_pb.js';
import { ResponderState } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Incident, Responder } from '@kith/gen/kith/support/v1/types_pb.js';
import { FailedPreconditionError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { accessIncident, requireOpenResponder } from './access.js';
import { RANK } from './escalation.js';
import { findIncident, findResponder, responderIds, updateResponder } from './incident-store.js';
import type { IncidentPatch, IncidentRow, ResponderRow } from './incident-store.js';
import { hasLadder, incidentView, responderMessages } from './incident-view.js';
import { recordChange, silentFor } from './record.js';

/** What a human answer does to the ladder: the first stops it (after a duress cancel, again). */
function stopLadder(row: IncidentRow, at: Date): IncidentPatch {
  return {
    ladder_stopped: true,
    next_step_at: null,
    first_ack_at: row.first_ack_at ?? at,
  };
}

async function responderAnswer(app: SupportApp, incidentId: string, userId: string) {
  const db = app.database.db;
  const row = (await findResponder(db, incidentId, userId)) as ResponderRow;
  return (await responderMessages(db, [row]))[0] as Responder;
}

/**
 * Acknowledge: "seen". Moves NOTIFIED or DELIVERED to ACKNOWLEDGED and stops the ladder; a
 * repeat changes nothing unless the ladder runs again (after a duress cancel), which it stops.
 */
export async function acknowledge(
  app: SupportApp,
  caller: SignedInCaller,
  req: AcknowledgeRequest,
): Promise<Responder> {
  const userId = caller.principal.userId;
  const now = caller.now;
  await app.database.transaction(async (trx) => {
    const access = await accessIncident(trx, req.incidentId, userId, true);
    const responder = requireOpenResponder(access);
    const row = access.row;
    const advances =
      responder.state === ResponderState.NOTIFIED || responder.state === ResponderState.DELIVERED;
    const laddered = hasLadder(row.kind) && !row.ladder_stopped;
    if (!advances && !laddered) return;
    if (advances) {
      await updateResponder(trx, row.id, userId, {
        state: ResponderState.ACKNOWLEDGED,
        rank: RANK[ResponderState.ACKNOWLEDGED]!,
        acknowledged_at: now,
      });
    }
    const silent = silentFor(row);
    const after = await recordChange(
      trx,
      row,
      now,
      [{ event: { case: 'acknowledged', value: { userId } }, actorId: userId }],
      stopLadder(row, now),
    );
    await app.emit(trx, userId, {
      case: 'supportAcknowledged',
      value: {
        incidentId: row.id,
        ownerId: row.owner_id,
        responderId: userId,
        version: BigInt(after.version),
        silent,
      },
    });
  });
  return responderAnswer(app, req.incidentId, userId);
}

/** Respond: on my way (ETA), can't help, or called emergency services; implies Acknowledge. */
export async function respond(
  app: SupportApp,
  caller: SignedInCaller,
  req: RespondRequest,
): Promise<Responder> {
  const userId = caller.principal.userId;
  const now = caller.now;
  await app.database.transaction(async (trx) => {
    const access = await accessIncident(trx, req.incidentId, userId, true);
    const responder = requireOpenResponder(access);
    const row = access.row;
    const etaMs = req.eta ? durationMs(req.eta) : null;
    await updateResponder(trx, row.id, userId, {
      state: ResponderState.RESPONDED,
      rank: RANK[ResponderState.RESPONDED]!,
      acknowledged_at: responder.acknowledged_at ?? now,
      response_kind: req.kind,
      response_eta_ms: etaMs,
      response_note: req.note,
      responded_at: now,
    });
    const silent = silentFor(row);
    const after = await recordChange(
      trx,
      row,
      now,
      [
        {
          event: {
            case: 'responded',
            value: {
              kind: req.kind,
              eta: req.eta,
              note: req.note,
              respondedAt: timestampFromDate(now),
            },
          },
          actorId: userId,
        },
      ],
      stopLadder(row, now),
    );
    await app.emit(trx, userId, {
      case: 'supportResponded',
      value: {
        incidentId: row.id,
        ownerId: row.owner_id,
        responderId: userId,
        response: req.kind,
        eta: req.eta,
        note: req.note,
        version: BigInt(after.version),
        silent,
      },
    });
  });
  return responderAnswer(app, req.incidentId, userId);
}

/**
 * ClaimResponse: exactly one claimant, whatever runs concurrently (the incident row is locked);
 * the claimant's retry changes nothing; anyone else gets FailedPrecondition.
 */
export async function claimResponse(
  app: SupportApp,
  caller: SignedInCaller,
  req: ClaimResponseRequest,
): Promise<Incident> {
  const userId = caller.principal.userId;
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    const access = await accessIncident(trx, req.incidentId, userId, true);
    requireOpenResponder(access);
    const row = access.row;
    if (row.claimed_by === userId) return incidentView(trx, row, 'responder');
    if (row.claimed_by !== null) {
      throw new FailedPreconditionError('another responder is already handling it');
    }
    const silent = silentFor(row);
    const after = await recordChange(
      trx,
      row,
      now,
      [{ event: { case: 'claimed', value: { userId } }, actorId: userId }],
      { claimed_by: userId },
    );
    await app.emit(trx, userId, {
      case: 'supportClaimed',
      value: {
        incidentId: row.id,
        ownerId: row.owner_id,
        responderId: userId,
        recipientUserIds: (await responderIds(trx, row.id)).filter((id) => id !== userId),
        version: BigInt(after.version),
        silent,
      },
    });
    return incidentView(trx, (await findIncident(trx, row.id))!, 'responder');
  });
}
