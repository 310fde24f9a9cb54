import { toJson } from '@bufbuild/protobuf';
import { timestampFromDate, TimestampSchema } from '@bufbuild/protobuf/wkt';
import {
  IncidentSchema,
  ResponderSchema,
  TimelineEntrySchema,
} from '@kith/gen/kith/support/v1/types_pb.js';
import type { Incident, Responder, TimelineEntry } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Kysely } from 'kysely';
import type { SupportDatabase } from '../db/schema.js';
import { respondersInOrder, timelineEntries } from '../incidents/incident-store.js';
import type { IncidentRow } from '../incidents/incident-store.js';
import {
  frozenResponders,
  incidentView,
  responderMessages,
  timelineEntryFor,
} from '../incidents/incident-view.js';

/** Every responder an export lists, as the owner's frozen view keeps them (at most this). */
const MAX_RESPONDERS = 10_000;
/** Timeline entries read per query. */
const TIMELINE_BATCH = 1_000;

/** An export: the incident, everyone alerted and the timeline, as the owner reads them. */
export interface IncidentExportDocument {
  incident: Incident;
  responders: Responder[];
  timeline: TimelineEntry[];
  exportedAt: Date;
}

/**
 * The owner's record of an incident: exactly what their reads answer (GetIncident,
 * ListResponders, GetIncidentTimeline). Once their view closed it is the frozen view, up to
 * the last entry they may read and without any duress flag, so a duress-cancelled SOS exports
 * exactly as a really cancelled one.
 */
export async function ownerExportDocument(
  db: Kysely<SupportDatabase>,
  row: IncidentRow,
  exportedAt: Date,
): Promise<IncidentExportDocument> {
  const incident = await incidentView(db, row, 'owner');
  const responders =
    frozenResponders(row) ??
    (await responderMessages(db, await respondersInOrder(db, row.id, MAX_RESPONDERS)));
  const maxSequence = row.owner_sequence !== null ? BigInt(row.owner_sequence) : undefined;
  const timeline: TimelineEntry[] = [];
  for (let after = 0n; ;) {
    const rows = await timelineEntries(db, {
      incidentId: row.id,
      afterSequence: after,
      maxSequence,
      limit: TIMELINE_BATCH,
    });
    timeline.push(...rows.map((r) => timelineEntryFor(r.entry, 'owner', row)));
    if (rows.length < TIMELINE_BATCH) break;
    after = BigInt(rows[rows.length - 1]!.sequence);
  }
  return { incident, responders, timeline, exportedAt };
}

/**
 * The JSON file: `{incident, responders, timeline, exportedAt}`, each message in its protobuf
 * JSON form (lowerCamelCase names, enums by name), pretty-printed.
 */
export function exportJson(doc: IncidentExportDocument): Uint8Array {
  const json = {
    incident: toJson(IncidentSchema, doc.incident),
    responders: doc.responders.map((r) => toJson(ResponderSchema, r)),
    timeline: doc.timeline.map((e) => toJson(TimelineEntrySchema, e)),
    exportedAt: toJson(TimestampSchema, timestampFromDate(doc.exportedAt)),
  };
  return new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`);
}
