import { create, fromBinary, fromJson } from '@bufbuild/protobuf';
import type { JsonValue, MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { LocationSchema } from '@kith/gen/kith/common/v1/common_pb.js';
import { ListRespondersResponseSchema } from '@kith/gen/kith/support/v1/support_pb.js';
import {
  DeviceContextSchema,
  IncidentKind,
  IncidentSchema,
  IncidentStatus,
  ResponderSchema,
  TimelineEntrySchema,
} from '@kith/gen/kith/support/v1/types_pb.js';
import type { Incident, Responder, TimelineEntry } from '@kith/gen/kith/support/v1/types_pb.js';
import { profileSummaries } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { SupportDatabase } from '../db/schema.js';
import { respondersInOrder, responderCounts } from './incident-store.js';
import type { IncidentRow, ResponderRow } from './incident-store.js';

type Summary =
  ReturnType<typeof profileSummaries> extends Promise<Map<string, infer S>> ? S : never;

/** Who reads an incident: its owner, or someone it alerted. */
export type Viewer = 'owner' | 'responder';

/** Incident.responders holds the first 20; the rest come through ListResponders. */
export const EMBEDDED_RESPONDERS = 20;

const ts = (d: Date | null | undefined) => (d ? timestampFromDate(d) : undefined);

/** What decides whether moderation withholds the owner's text from a viewer. */
export type ModerationFacts = Pick<
  IncidentRow,
  'owner_id' | 'moderation_hidden' | 'moderation_removed'
>;

/**
 * Whether the owner's text (the message, and the text and media of their notes) is withheld
 * from `viewer`: from the responders while a moderator hides or removes the incident
 * (moderation_events.proto), never from the owner, who always reads their own. Nothing else is:
 * the incident, its alerts, ladder, acknowledgements and location sharing go on as before.
 */
export function ownerTextWithheld(row: ModerationFacts, viewer: Viewer): boolean {
  return viewer === 'responder' && (row.moderation_hidden || row.moderation_removed);
}

/** Whether the incident runs a ladder (SOS, missed check-in). */
export function hasLadder(kind: number): boolean {
  return kind === IncidentKind.SOS || kind === IncidentKind.MISSED_CHECK_IN;
}

export function responderMessage(row: ResponderRow, user: Summary | undefined): Responder {
  return create(ResponderSchema, {
    user: user ?? { userId: row.user_id },
    state: row.state,
    notifiedAt: ts(row.notified_at),
    acknowledgedAt: ts(row.acknowledged_at),
    deliveredAt: ts(row.delivered_at),
    escalationStep: row.escalation_step,
    latestResponse: row.responded_at
      ? {
          kind: row.response_kind,
          eta:
            row.response_eta_ms !== null ? durationFromMs(Number(row.response_eta_ms)) : undefined,
          note: row.response_note,
          respondedAt: ts(row.responded_at),
        }
      : undefined,
  });
}

/** Responder messages for rows, with their profiles (one query). */
export async function responderMessages(
  db: Kysely<SupportDatabase>,
  rows: readonly ResponderRow[],
): Promise<Responder[]> {
  const users = await profileSummaries(
    db,
    rows.map((r) => r.user_id),
  );
  return rows.map((r) => responderMessage(r, users.get(r.user_id)));
}

function locationShare(row: IncidentRow): MessageInitShape<typeof IncidentSchema>['locationShare'] {
  if (!row.location_started_at) return undefined;
  return {
    startedAt: ts(row.location_started_at),
    expiresAt: ts(row.location_expires_at),
    stoppedAt: ts(row.location_stopped_at),
    lastLocation: row.location ? fromJson(LocationSchema, row.location as JsonValue) : undefined,
  };
}

/**
 * The incident as `viewer` sees it now. The owner's view is the frozen one once it closed, and
 * never tells them about a duress cancel; a responder sees the truth.
 */
export async function incidentView(
  db: Kysely<SupportDatabase>,
  row: IncidentRow,
  viewer: Viewer,
): Promise<Incident> {
  if (viewer === 'owner' && row.owner_view) return fromBinary(IncidentSchema, row.owner_view);
  const [responders, counts] = await Promise.all([
    respondersInOrder(db, row.id, EMBEDDED_RESPONDERS),
    responderCounts(db, row.id),
  ]);
  const users = await profileSummaries(db, [row.owner_id, ...responders.map((r) => r.user_id)]);
  return create(IncidentSchema, {
    incidentId: row.id,
    kind: row.kind,
    owner: users.get(row.owner_id),
    helpType: row.help_type,
    severity: row.severity,
    message: ownerTextWithheld(row, viewer) ? '' : row.message,
    circleIds: row.circle_ids,
    status: viewer === 'owner' ? row.owner_status : row.status,
    locationShare: locationShare(row),
    responders: responders.map((r) => responderMessage(r, users.get(r.user_id))),
    claimedByUserId: row.claimed_by ?? '',
    escalation: hasLadder(row.kind)
      ? {
          currentStep: Math.max(row.current_step, 0),
          nextStepAt: ts(row.next_step_at),
          stopped: row.ladder_stopped,
        }
      : undefined,
    createdAt: ts(row.created_at),
    resolution:
      row.resolved_by !== null
        ? {
            kind: row.resolution_kind,
            reason: row.resolution_reason,
            resolvedByUserId: row.resolved_by,
            resolvedAt: ts(row.ended_at ?? row.owner_closed_at),
          }
        : undefined,
    checkInId: row.check_in_id ?? '',
    responderCounts: counts,
    duressCancelledAt: viewer === 'responder' ? ts(row.duress_cancelled_at) : undefined,
    emergencyKind: row.emergency_kind,
    device: row.device ? fromJson(DeviceContextSchema, row.device as JsonValue) : undefined,
    version: BigInt(row.version),
  });
}

/** Whether the incident is still open for `viewer`. */
export function openFor(row: IncidentRow, viewer: Viewer): boolean {
  return (viewer === 'owner' ? row.owner_status : row.status) === IncidentStatus.OPEN;
}

/** Every responder as the owner saw them when their view closed (frozen). */
export function frozenResponders(row: IncidentRow): Responder[] | undefined {
  if (!row.owner_responders) return undefined;
  return fromBinary(ListRespondersResponseSchema, row.owner_responders).responders;
}

/**
 * A stored timeline entry of `row` as `viewer` reads it: the owner never sees that a cancel was
 * duress; a responder gets the owner's notes without their text and media while moderation
 * withholds them (the entry stays, so the timeline stays dense).
 */
export function timelineEntryFor(
  bytes: Uint8Array,
  viewer: Viewer,
  row: ModerationFacts,
): TimelineEntry {
  const entry = fromBinary(TimelineEntrySchema, bytes);
  const event = entry.event;
  if (viewer === 'owner' && event.case === 'cancelled') event.value.duress = false;
  if (
    event.case === 'note' &&
    entry.actorUserId === row.owner_id &&
    ownerTextWithheld(row, viewer)
  ) {
    event.value.text = '';
    event.value.mediaIds = [];
  }
  return entry;
}
