import { fromBinary, toJson } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import {
  CheckInStatus,
  EmergencyContactState,
  EscalationTarget,
  IncidentKind,
  IncidentSchema,
  ResponderSchema,
  ResponderState,
  ResponseKind,
  TimelineEntrySchema,
} from '@kith/gen/kith/support/v1/types_pb.js';
import type { BlobStorage, ConsumerSpec } from '@kith/runtime';
import { exportPartConsumer } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { SupportApp } from '../app.js';
import type { SupportDatabase } from '../db/schema.js';
import { ownerExportDocument } from '../export/export-document.js';
import { findLadder } from '../ladder/ladder-store.js';
import { DEFAULT_LADDER } from '../ladder/steps.js';
import {
  exportAlerts,
  exportCheckIns,
  exportContacts,
  exportEntriesOf,
  exportOwnedIncidents,
  exportPins,
  exportRequestedCheckIns,
} from './export-store.js';

/** An enum value as its name without the prefix, lower case: `ResponderState.ACKNOWLEDGED` → `acknowledged`. */
function nameOf(names: Record<number, string>, value: number): string {
  return (names[value] ?? 'unspecified').toLowerCase();
}

/** The notes `userId` wrote in each incident, by incident. */
function notesBy(
  rows: { incident_id: string; entry: Buffer }[],
  userId: string,
): Map<string, { text: string; media_ids: string[]; at: Date | null }[]> {
  const notes = new Map<string, { text: string; media_ids: string[]; at: Date | null }[]>();
  for (const row of rows) {
    const entry = fromBinary(TimelineEntrySchema, row.entry);
    if (entry.actorUserId !== userId || entry.event.case !== 'note') continue;
    const list = notes.get(row.incident_id) ?? [];
    list.push({
      text: entry.event.value.text,
      media_ids: entry.event.value.mediaIds,
      at: entry.occurredAt ? timestampDate(entry.occurredAt) : null,
    });
    notes.set(row.incident_id, list);
  }
  return notes;
}

/**
 * What support holds about the user, one JSON document per category:
 *
 * - `incidents`: the incidents they raised, each exactly as their own reads and ExportIncident
 *   give it (the owner's view: the frozen one once it closed, its timeline up to the close and
 *   never a duress flag, so a duress-cancelled SOS exports as a really cancelled one), in
 *   protobuf JSON form;
 * - `alerts`: the incidents of others they were alerted to, with their own part only (their
 *   state, response, notes, whether they claimed or resolved it); whose incident it was and
 *   what its owner wrote are not theirs and are not included;
 * - `check_ins` (their timers; whether a word was set, never its hash),
 *   `check_ins_requested` (the ones they asked others for: id, status, when);
 * - `safety_pins`: whether each PIN is set and when (never the hashes);
 * - `escalation_ladder` (their own, or the default they run) and `emergency_contacts` (as they
 *   entered them, with each contact's state).
 *
 * A user support does not know gives empty categories.
 */
export async function supportDataOf(
  db: Kysely<SupportDatabase>,
  userId: string,
  now: Date,
): Promise<Record<string, unknown>> {
  // One after the other: a transaction is one session.
  const incidents = [];
  for (const row of await exportOwnedIncidents(db, userId)) {
    const doc = await ownerExportDocument(db, row, now);
    incidents.push({
      incident: toJson(IncidentSchema, doc.incident),
      responders: doc.responders.map((r) => toJson(ResponderSchema, r)),
      timeline: doc.timeline.map((e) => toJson(TimelineEntrySchema, e)),
    });
  }
  const alerts = await exportAlerts(db, userId);
  const notes = notesBy(
    await exportEntriesOf(
      db,
      alerts.map((a) => a.incident_id),
    ),
    userId,
  );
  const checkIns = await exportCheckIns(db, userId);
  const requested = await exportRequestedCheckIns(db, userId);
  const pins = await exportPins(db, userId);
  const ladder = await findLadder(db, userId);
  const contacts = await exportContacts(db, userId);
  return {
    incidents,
    alerts: alerts.map((a) => ({
      incident_id: a.incident_id,
      kind: nameOf(IncidentKind, a.kind),
      circle_ids: a.circle_ids,
      created_at: a.created_at,
      state: nameOf(ResponderState, a.state),
      escalation_step: a.escalation_step,
      notified_at: a.notified_at,
      delivered_at: a.delivered_at,
      acknowledged_at: a.acknowledged_at,
      response: a.responded_at
        ? {
            kind: nameOf(ResponseKind, a.response_kind),
            eta_ms: a.response_eta_ms === null ? null : Number(a.response_eta_ms),
            note: a.response_note,
            responded_at: a.responded_at,
          }
        : null,
      claimed: a.claimed_by === userId,
      resolved: a.resolved_by === userId,
      notes: notes.get(a.incident_id) ?? [],
    })),
    check_ins: checkIns.map(({ word_hash, requested_by, status, ...c }) => ({
      ...c,
      status: nameOf(CheckInStatus, status),
      word_set: word_hash !== null,
      requested_by: requested_by === null ? 'self' : 'another_member',
    })),
    check_ins_requested: requested.map((c) => ({ ...c, status: nameOf(CheckInStatus, c.status) })),
    safety_pins: {
      cancel_pin_set: Boolean(pins?.cancel_hash),
      duress_pin_set: Boolean(pins?.duress_hash),
      updated_at: pins?.updated_at ?? null,
    },
    escalation_ladder: {
      custom: ladder !== undefined,
      steps: (ladder?.steps ?? DEFAULT_LADDER).map((s) => ({
        after_ms: s.afterMs,
        target: nameOf(EscalationTarget, s.target),
      })),
      updated_at: ladder?.updated_at ?? null,
    },
    emergency_contacts: contacts.map((c) => ({
      ...c,
      state: nameOf(EmergencyContactState, c.state),
    })),
  };
}

/** `user.export_requested`: support's part of the export (supportDataOf). */
export function onExportRequested(
  app: SupportApp,
  blobs: BlobStorage,
): ConsumerSpec<SupportDatabase> {
  return exportPartConsumer<SupportDatabase>({
    durable: 'export-part',
    service: KithService.SUPPORT,
    blobs,
    clock: app.clock,
    emit: (trx, payload) => app.emit(trx, null, payload),
    dataOf: supportDataOf,
    logger: app.logger,
  });
}
