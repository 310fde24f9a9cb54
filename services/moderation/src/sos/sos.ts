import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { ModerationDatabase } from '../db/schema.js';
import { recordEvents } from '../subjects/record.js';
import { lockSubject } from '../subjects/subject-store.js';
import {
  closeIncident,
  isSosRelated,
  openIncident,
  openIncidentOwner,
  subjectsOfIncident,
} from './sos-store.js';

/** The support events that open and close incidents; the rest are acknowledged unread. */
const USED = ['support.alert_raised', 'support.resolved'];

/** Re-marks the subjects an incident concerns, and their priority, after it opened or closed. */
async function remark(
  trx: Kysely<ModerationDatabase>,
  incidentId: string,
  ownerId: string,
  now: Date,
) {
  for (const ref of await subjectsOfIncident(trx, incidentId, ownerId)) {
    const row = await lockSubject(trx, ref, now);
    const sosRelated = await isSosRelated(trx, ref);
    if (row.sos_related === sosRelated) continue;
    await recordEvents(trx, ref, row, [], now, { sos_related: sosRelated });
  }
}

/**
 * Support's open incidents (support.alert_raised opens one, support.resolved closes it; a duress
 * cancel leaves it open, as it is for the responders): reports of an open incident or of its
 * owner's account are SOS-related and go first in the queue while it is open.
 */
export function incidentsFromSupport(clock: () => Date): ConsumerSpec<ModerationDatabase> {
  return {
    durable: 'moderation-incidents-from-support',
    subjects: 'kith.events.support.>',
    ignores: [
      'support.acknowledged',
      'support.responded',
      'support.escalated',
      'support.location_shared',
      'support.location_stopped',
      'support.claimed',
      'support.note_added',
      'support.alert_delivered',
      'support.check_in_reminded',
      'support.check_in_requested',
      'support.check_in_missed',
      'support.duress_cancelled',
    ],
    async handle(trx, message) {
      const { payload, type } = decodeEvent(message.data);
      if (!USED.includes(type)) return;
      if (payload.case === 'supportAlertRaised') {
        const { incidentId, ownerId } = payload.value;
        await openIncident(trx, incidentId, ownerId);
        await remark(trx, incidentId, ownerId, clock());
      } else if (payload.case === 'supportResolved') {
        const { incidentId } = payload.value;
        const ownerId = (await openIncidentOwner(trx, incidentId)) ?? payload.value.ownerId;
        await closeIncident(trx, incidentId);
        await remark(trx, incidentId, ownerId, clock());
      }
    },
  };
}
