import { isUuid } from '@kith/bus';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { SupportDatabase } from '../db/schema.js';
import { applyIncidentModeration } from './moderation-store.js';

/** The moderation event types support does not act on (reports, accounts, decisions, appeals). */
export const IGNORED_MODERATION_EVENTS = [
  'moderation.report_filed',
  'moderation.account_actioned',
  'moderation.report_decided',
  'moderation.appeal_resolved',
] as const;

/**
 * Platform moderation as support applies it (moderation_events.proto): content_actioned and
 * action_reversed on an incident subject store the incident's `enforcement` (hidden, removed)
 * by its version; other subjects are not support's. While hidden or removed the owner's text
 * is withheld from the responders (incidents/incident-view.ts); nothing else changes.
 */
export function incidentsFromModeration(): ConsumerSpec<SupportDatabase> {
  return {
    durable: 'incidents-from-moderation',
    subjects: 'kith.events.moderation.>',
    ignores: IGNORED_MODERATION_EVENTS,
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (
        payload.case !== 'moderationContentActioned' &&
        payload.case !== 'moderationActionReversed'
      ) {
        return;
      }
      const { subject, version, enforcement } = payload.value;
      const kind = subject?.kind;
      if (kind?.case !== 'incidentId' || !isUuid(kind.value)) return;
      await applyIncidentModeration(trx, {
        incidentId: kind.value,
        version,
        hidden: enforcement?.hidden ?? false,
        removed: enforcement?.removed ?? false,
      });
    },
  };
}
