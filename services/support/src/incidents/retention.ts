import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { IncidentSchema, TimelineEntrySchema } from '@kith/gen/kith/support/v1/types_pb.js';
import type { SupportApp } from '../app.js';
import {
  deleteEndedBefore,
  endedWithLocations,
  locatedEntries,
  rewriteEntry,
  updateIncident,
} from './incident-store.js';

const DAY = 86_400_000;
/** Exact locations and device context go 30 days after an incident ends. */
export const LOCATION_RETENTION_MS = 30 * DAY;
/** An incident goes 1 year after it ends (types.proto, Incident). */
export const INCIDENT_RETENTION_MS = 365 * DAY;

/**
 * The retention pass: strips the coordinates and device context of incidents ended over 30 days
 * ago — from the record, the owner's frozen view and every timeline fix (the entries stay, saying
 * that sharing started and stopped) — and deletes incidents ended over a year ago. Moderation's
 * reports and legal holds would keep an incident longer; support does not hear of them yet.
 */
export async function purgeExpiredIncidentData(
  app: SupportApp,
  limit = 100,
): Promise<{ stripped: number; deleted: number }> {
  const now = app.clock().getTime();
  const stripped = await app.database.transaction(async (trx) => {
    const rows = await endedWithLocations(trx, new Date(now - LOCATION_RETENTION_MS), limit);
    for (const row of rows) {
      let ownerView = row.owner_view;
      if (ownerView) {
        const view = fromBinary(IncidentSchema, ownerView);
        if (view.locationShare) view.locationShare.lastLocation = undefined;
        view.device = undefined;
        ownerView = Buffer.from(toBinary(IncidentSchema, view));
      }
      await updateIncident(trx, row.id, { location: null, device: null, owner_view: ownerView });
      for (const located of await locatedEntries(trx, row.id)) {
        const entry = fromBinary(TimelineEntrySchema, located.entry);
        if (entry.event.case === 'locationShared' || entry.event.case === 'locationStopped') {
          entry.event.value.lastLocation = undefined;
        }
        await rewriteEntry(trx, row.id, located.sequence, toBinary(TimelineEntrySchema, entry));
      }
    }
    return rows.length;
  });
  const deleted = await app.database.transaction((trx) =>
    deleteEndedBefore(trx, new Date(now - INCIDENT_RETENTION_MS), limit),
  );
  return { stripped, deleted };
}
