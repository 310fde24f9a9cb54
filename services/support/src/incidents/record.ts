import { create, toBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { IncidentStatus, TimelineEntrySchema } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Kysely } from 'kysely';
import type { SupportDatabase } from '../db/schema.js';
import { appendTimeline, updateIncident } from './incident-store.js';
import type { IncidentPatch, IncidentRow } from './incident-store.js';

/** One timeline entry to append: its event, and who did it (null: the server). */
export interface EntrySpec {
  event: MessageInitShape<typeof TimelineEntrySchema>['event'];
  actorId: string | null;
}

/**
 * Whether events of the incident must not reach its owner from now on: their view closed
 * (resolved, cancelled, or cancelled with the duress PIN), so their devices stay frozen there.
 */
export function silentFor(row: IncidentRow): boolean {
  return row.owner_status !== IncidentStatus.OPEN;
}

/** Appends entries with the next dense sequence numbers; returns the last one. */
export async function appendEntries(
  db: Kysely<SupportDatabase>,
  incidentId: string,
  from: bigint,
  at: Date,
  entries: readonly EntrySpec[],
): Promise<bigint> {
  let sequence = from;
  const rows = entries.map((spec) => {
    sequence += 1n;
    const entry = create(TimelineEntrySchema, {
      sequence,
      occurredAt: timestampFromDate(at),
      actorUserId: spec.actorId ?? '',
      event: spec.event,
    });
    return {
      incidentId,
      sequence,
      at,
      entry: toBinary(TimelineEntrySchema, entry),
      hasLocation:
        (entry.event.case === 'locationShared' || entry.event.case === 'locationStopped') &&
        entry.event.value.lastLocation !== undefined,
    };
  });
  await appendTimeline(db, rows);
  return sequence;
}

/**
 * One change of a locked incident: appends its timeline entries, applies `patch`, and moves the
 * version on by one. Returns the incident as it now is.
 */
export async function recordChange(
  db: Kysely<SupportDatabase>,
  row: IncidentRow,
  at: Date,
  entries: readonly EntrySpec[],
  patch: IncidentPatch = {},
): Promise<IncidentRow> {
  return (await recordChanges(db, row, at, [entries], patch)).row;
}

/**
 * Several changes of a locked incident, each its own version as if recorded one after another
 * by `recordChange`, in one timeline insert and one update: the incident after them, and the
 * version each change took, in order.
 */
export async function recordChanges(
  db: Kysely<SupportDatabase>,
  row: IncidentRow,
  at: Date,
  changes: readonly (readonly EntrySpec[])[],
  patch: IncidentPatch = {},
): Promise<{ row: IncidentRow; versions: bigint[] }> {
  const sequence = await appendEntries(db, row.id, BigInt(row.sequence), at, changes.flat());
  const versions = changes.map((_, i) => BigInt(row.version) + BigInt(i + 1));
  const updated = {
    ...patch,
    sequence: sequence.toString(),
    version: (versions.at(-1) ?? BigInt(row.version)).toString(),
    updated_at: at,
  };
  await updateIncident(db, row.id, updated);
  return { row: { ...row, ...updated } as IncidentRow, versions };
}
