import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ListRespondersResponseSchema } from '@kith/gen/kith/support/v1/support_pb.js';
import type { CancelSosRequest, ResolveRequest } from '@kith/gen/kith/support/v1/support_pb.js';
import {
  IncidentKind,
  IncidentSchema,
  IncidentStatus,
} from '@kith/gen/kith/support/v1/types_pb.js';
import type { Incident } from '@kith/gen/kith/support/v1/types_pb.js';
import {
  FailedPreconditionError,
  PermissionDeniedError,
  ResourceExhaustedError,
} from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { SupportApp } from '../app.js';
import type { SupportDatabase } from '../db/schema.js';
import { pinMatches } from '../pins/pin-hash.js';
import { closed, accessIncident } from './access.js';
import { runDueSteps } from './escalation.js';
import {
  findIncident,
  findPins,
  respondersInOrder,
  responderIds,
  updateIncident,
} from './incident-store.js';
import type { IncidentPatch, IncidentRow } from './incident-store.js';
import { incidentView, openFor, responderMessages } from './incident-view.js';
import { recordChange, silentFor } from './record.js';

type Db = Kysely<SupportDatabase>;

/** Wrong PINs an SOS takes before CancelSos answers ResourceExhausted (the SOS stays open). */
export const MAX_PIN_FAILURES = 5;

/** What ending an incident does to it for whoever it ends for: no more steps, no more sharing. */
function endPatch(row: IncidentRow, at: Date): IncidentPatch {
  return {
    ladder_stopped: true,
    next_step_at: null,
    location_stopped_at:
      row.location_started_at && !row.location_stopped_at ? at : row.location_stopped_at,
  };
}

/**
 * What a real cancel leaves: CANCELLED for everyone, resolved by the owner, ladder and sharing
 * ended. A duress cancel shows the owner exactly this row, so both are built here.
 */
function cancelPatch(row: IncidentRow, at: Date): IncidentPatch {
  return {
    ...endPatch(row, at),
    status: IncidentStatus.CANCELLED,
    owner_status: IncidentStatus.CANCELLED,
    resolution_kind: 0,
    resolution_reason: '',
    resolved_by: row.owner_id,
    ended_at: at,
    owner_closed_at: at,
  };
}

/**
 * Freezes the owner's view of an incident as `asOwnerSees` shows it: the Incident, every
 * responder, and the last timeline entry they may read. Their reads answer from these from now
 * on, so nothing that happens later (a duress escalation, a late receipt) reaches them.
 */
async function freezeOwnerView(db: Db, asOwnerSees: IncidentRow): Promise<void> {
  const view = await incidentView(db, { ...asOwnerSees, owner_view: null }, 'owner');
  const responders = await responderMessages(
    db,
    await respondersInOrder(db, asOwnerSees.id, 10_000),
  );
  await updateIncident(db, asOwnerSees.id, {
    owner_view: Buffer.from(toBinary(IncidentSchema, view)),
    owner_responders: Buffer.from(
      toBinary(ListRespondersResponseSchema, create(ListRespondersResponseSchema, { responders })),
    ),
    owner_sequence: asOwnerSees.sequence,
  });
}

/** The owner's incident after `asOwnerSees` froze their view (their answer to the call). */
async function frozenAnswer(db: Db, incidentId: string): Promise<Incident> {
  return incidentView(db, (await findIncident(db, incidentId))!, 'owner');
}

type CancelOutcome = { incident: Incident } | { error: Error };

/**
 * CancelSos: the owner ends their SOS with the cancel PIN, or seems to with the duress PIN.
 * Both answer the same bytes (the frozen owner view). The duress cancel keeps the incident open
 * for the responders, tells them at once, and resumes the ladder at once with its next step.
 * A wrong PIN is counted in its own commit; past MAX_PIN_FAILURES every try is refused.
 */
export async function cancelSos(
  app: SupportApp,
  caller: SignedInCaller,
  req: CancelSosRequest,
): Promise<Incident> {
  const userId = caller.principal.userId;
  const now = caller.now;
  const outcome = await app.database.transaction(async (trx): Promise<CancelOutcome> => {
    const access = await accessIncident(trx, req.incidentId, userId, true);
    if (access.viewer !== 'owner') {
      throw new PermissionDeniedError('only the owner can cancel an SOS');
    }
    const row = access.row;
    if (!openFor(row, 'owner')) throw closed();
    if (row.kind !== IncidentKind.SOS) {
      throw new FailedPreconditionError('only an SOS is cancelled with a PIN; use Resolve');
    }
    const pins = await findPins(trx, userId);
    if (!pins?.cancel_hash) {
      throw new FailedPreconditionError('no cancel PIN is set; end the SOS with Resolve');
    }
    if (row.pin_failures >= MAX_PIN_FAILURES) {
      return { error: new ResourceExhaustedError({ message: 'too many wrong PINs' }) };
    }
    // Both checks always run, so a duress cancel takes as long as a real one.
    const [cancel, duress] = await Promise.all([
      pinMatches(req.pin, pins.cancel_hash),
      pinMatches(req.pin, pins.duress_hash),
    ]);
    if (!cancel && !duress) {
      await updateIncident(trx, row.id, { pin_failures: row.pin_failures + 1 });
      return { error: new PermissionDeniedError('wrong PIN') };
    }
    const recipients = await responderIds(trx, row.id);
    const asCancelled = await recordChange(
      trx,
      row,
      now,
      // Stored as it was; the owner reads every cancel entry without the duress flag.
      [{ event: { case: 'cancelled', value: { duress: !cancel } }, actorId: userId }],
      cancelPatch(row, now),
    );
    if (cancel) {
      await freezeOwnerView(trx, asCancelled);
      await app.emit(trx, userId, {
        case: 'supportResolved',
        value: {
          incidentId: row.id,
          ownerId: userId,
          status: IncidentStatus.CANCELLED,
          resolution: 0,
          resolvedByUserId: userId,
          recipientUserIds: recipients,
          version: BigInt(asCancelled.version),
          silent: false,
        },
      });
      return { incident: await frozenAnswer(trx, row.id) };
    }
    // Duress: the owner's view is the real cancel's; the truth stays open and escalates.
    await freezeOwnerView(trx, asCancelled);
    const truth: IncidentRow = {
      ...asCancelled,
      status: IncidentStatus.OPEN,
      resolved_by: null,
      ended_at: null,
      ladder_stopped: false,
      next_step_at: asCancelled.current_step + 1 < row.ladder.length ? now : null,
      location_stopped_at: row.location_stopped_at,
      duress_cancelled_at: now,
    };
    await updateIncident(trx, row.id, {
      status: truth.status,
      resolved_by: null,
      ended_at: null,
      ladder_stopped: false,
      next_step_at: truth.next_step_at,
      location_stopped_at: truth.location_stopped_at,
      duress_cancelled_at: now,
    });
    await app.emit(trx, userId, {
      case: 'supportDuressCancelled',
      value: {
        incidentId: row.id,
        ownerId: userId,
        recipientUserIds: recipients,
        version: BigInt(asCancelled.version),
      },
    });
    await runDueSteps(app, trx, truth, now);
    return { incident: await frozenAnswer(trx, row.id) };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.incident;
}

/**
 * Resolve: all clear or false alarm. The claimer may resolve any incident; the owner a help
 * request or missed check-in, and an SOS only while no cancel PIN is set (else CancelSos is the
 * way); after a duress cancel only the claimer (the owner sees it cancelled). Resolving after
 * the owner's view closed leaves that view as it was and is silent to them.
 */
export async function resolveIncident(
  app: SupportApp,
  caller: SignedInCaller,
  req: ResolveRequest,
): Promise<Incident> {
  const userId = caller.principal.userId;
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    const access = await accessIncident(trx, req.incidentId, userId, true);
    const row = access.row;
    if (!openFor(row, access.viewer)) throw closed();
    if (access.viewer === 'owner') {
      if (row.kind === IncidentKind.SOS && (await findPins(trx, userId))?.cancel_hash) {
        throw new FailedPreconditionError('end an SOS with your cancel PIN (CancelSos)');
      }
    } else if (row.claimed_by !== userId) {
      throw new PermissionDeniedError(
        'only the responder who claimed it or its owner can resolve it',
      );
    }
    const silent = silentFor(row);
    const recipients = await responderIds(trx, row.id);
    const resolution = {
      kind: req.kind,
      reason: req.reason,
      resolvedByUserId: userId,
      resolvedAt: timestampFromDate(now),
    };
    const patch: IncidentPatch = {
      ...endPatch(row, now),
      status: IncidentStatus.RESOLVED,
      resolution_kind: req.kind,
      resolution_reason: req.reason,
      resolved_by: userId,
      ended_at: now,
    };
    if (!silent) {
      patch.owner_status = IncidentStatus.RESOLVED;
      patch.owner_closed_at = now;
    }
    const after = await recordChange(
      trx,
      row,
      now,
      [{ event: { case: 'resolved', value: resolution }, actorId: userId }],
      patch,
    );
    if (!silent) await freezeOwnerView(trx, after);
    await app.emit(trx, userId, {
      case: 'supportResolved',
      value: {
        incidentId: row.id,
        ownerId: row.owner_id,
        status: IncidentStatus.RESOLVED,
        resolution: req.kind,
        resolvedByUserId: userId,
        recipientUserIds: recipients,
        version: BigInt(after.version),
        silent,
      },
    });
    return incidentView(trx, (await findIncident(trx, row.id))!, access.viewer);
  });
}
