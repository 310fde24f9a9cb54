import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { UserSummarySchema } from '@kith/gen/kith/common/v1/common_pb.js';
import { isUuid } from '@kith/bus';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import { ListRespondersResponseSchema } from '@kith/gen/kith/support/v1/support_pb.js';
import {
  IncidentSchema,
  IncidentStatus,
  TimelineEntrySchema,
} from '@kith/gen/kith/support/v1/types_pb.js';
import type { Responder } from '@kith/gen/kith/support/v1/types_pb.js';
import { decodeEvent } from '@kith/runtime';
import type { BlobStorage, ConsumerSpec } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { SupportApp } from '../app.js';
import { ownerLabel } from '../contacts/contact-messages.js';
import { ownerName } from '../contacts/contacts-store.js';
import type { SupportDatabase } from '../db/schema.js';
import { exportFolder } from '../export/exports.js';
import { responderIds } from '../incidents/incident-store.js';
import type { IncidentRow } from '../incidents/incident-store.js';
import { silentFor } from '../incidents/record.js';
import {
  alertedIncidents,
  allEntries,
  contactAddresses,
  exportsOf,
  forgetContactMail,
  forgetResponder,
  forgetUser,
  ownedIncidents,
  replaceEntry,
  replaceFrozenView,
} from './erase-store.js';

type Db = Kysely<SupportDatabase>;

/*
 * What erasure does in support (docs/adr/0020-support-service.md, "Erasure and export"):
 *
 * - The user's own record goes whole: their incidents (responders, timeline, location and
 *   device context with them), their incident exports and the files in the bucket, their
 *   check-ins, PINs, ladder, emergency contacts, the notices sent to those contacts, their
 *   contacts' opt-outs (an opt-out only ever meant "never message me for this user", who is
 *   gone), the SMS and e-mails queued or kept for their contacts, and the projections of their
 *   profile and memberships.
 * - An incident of theirs still OPEN for its responders (an SOS nobody resolved, a duress
 *   cancel still escalating) ends first, as a cancel by the server: support.resolved with
 *   status CANCELLED, no resolution and no resolver, to everyone alerted, `silent` by the usual
 *   rule, so nobody keeps looking for someone whose record no longer exists. It then goes with
 *   the rest; there is no owner left to read it.
 * - Other people's incidents they were alerted to are the owners' safety records and stay
 *   coherent: the responder row, its state and times, and the timeline entries about them stay
 *   under their bare id (the profile projection is gone, so UserSummary carries the id alone,
 *   live and in the owners' frozen views alike); what they wrote goes (their response note, the
 *   text and media of their notes, the entries themselves stay so the timeline stays dense). A
 *   claim they held on an incident still open for its responders is released, so another
 *   responder can claim and resolve it. Check-ins they asked of others keep their bare id.
 */

/** The subjects of the e-mails support sends a user's contacts (contacts/contact-messages.ts). */
function contactSubjects(label: string): string[] {
  return [
    `${label} added you as an emergency contact on Kith`,
    `Kith SOS: ${label} needs help`,
    `Kith SOS: ${label} may be in danger`,
    `Kith: ${label} missed a safety check-in`,
  ];
}

/** An incident the erased user owns that is still open for its responders ends for them. */
async function endOwnIncident(app: SupportApp, trx: Db, row: IncidentRow): Promise<void> {
  if (row.status !== IncidentStatus.OPEN) return;
  await app.emit(trx, null, {
    case: 'supportResolved',
    value: {
      incidentId: row.id,
      ownerId: row.owner_id,
      status: IncidentStatus.CANCELLED,
      resolution: 0,
      resolvedByUserId: '',
      recipientUserIds: await responderIds(trx, row.id),
      version: BigInt(row.version) + 1n,
      silent: silentFor(row),
    },
  });
}

/** A responder without their profile and their words. */
function stripResponder(responder: Responder, userId: string): boolean {
  if (responder.user?.userId !== userId) return false;
  responder.user = create(UserSummarySchema, { userId });
  if (responder.latestResponse) responder.latestResponse.note = '';
  return true;
}

/**
 * What the erased user wrote in someone else's incident goes (their notes' text and media,
 * their response note) from the timeline and from the owner's frozen view, which also stops
 * carrying their profile.
 */
async function forgetInIncident(
  trx: Db,
  incident: { id: string; owner_view: Buffer | null; owner_responders: Buffer | null },
  userId: string,
): Promise<void> {
  for (const row of await allEntries(trx, incident.id)) {
    const entry = fromBinary(TimelineEntrySchema, row.entry);
    if (entry.actorUserId !== userId) continue;
    const event = entry.event;
    if (event.case === 'note' && (event.value.text !== '' || event.value.mediaIds.length > 0)) {
      event.value.text = '';
      event.value.mediaIds = [];
    } else if (event.case === 'responded' && event.value.note !== '') {
      event.value.note = '';
    } else {
      continue;
    }
    await replaceEntry(trx, incident.id, row.sequence, toBinary(TimelineEntrySchema, entry));
  }
  let changed = false;
  let ownerView = incident.owner_view;
  if (ownerView) {
    const view = fromBinary(IncidentSchema, ownerView);
    if (view.responders.map((r) => stripResponder(r, userId)).some(Boolean)) {
      ownerView = Buffer.from(toBinary(IncidentSchema, view));
      changed = true;
    }
  }
  let ownerResponders = incident.owner_responders;
  if (ownerResponders) {
    const list = fromBinary(ListRespondersResponseSchema, ownerResponders);
    if (list.responders.map((r) => stripResponder(r, userId)).some(Boolean)) {
      ownerResponders = Buffer.from(toBinary(ListRespondersResponseSchema, list));
      changed = true;
    }
  }
  if (changed) {
    await replaceFrozenView(trx, incident.id, {
      owner_view: ownerView,
      owner_responders: ownerResponders,
    });
  }
}

/**
 * `user.erased` (data_events.proto, erasure saga step 2): see the comment above for what goes
 * and what stays. Support then acknowledges with data.erasure_completed in the same
 * transaction, also when it held nothing. A redelivery finds nothing left and acknowledges
 * again, which the saga ignores. Incident export files are deleted from the bucket before
 * their rows, so a failed transaction leaves rows whose files a redelivery deletes again.
 */
export function onUserErased(app: SupportApp, blobs: BlobStorage): ConsumerSpec<SupportDatabase> {
  return {
    durable: 'erase-user',
    subjects: 'kith.events.user.erased',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'userErased' || !isUuid(payload.value.userId)) return;
      const userId = payload.value.userId;
      const owned = await ownedIncidents(trx, userId);
      for (const row of owned) await endOwnIncident(app, trx, row);
      const alerted = await alertedIncidents(trx, userId);
      for (const incident of alerted) await forgetInIncident(trx, incident, userId);
      await forgetResponder(trx, userId);
      for (const row of await exportsOf(trx, userId)) {
        await blobs.deletePrefix(exportFolder(row.id));
      }
      const profile = await ownerName(trx, userId);
      const addresses = await contactAddresses(trx, userId);
      await forgetContactMail(trx, {
        ...addresses,
        subjects: profile ? contactSubjects(ownerLabel(profile)) : [],
      });
      await forgetUser(trx, userId);
      await app.emit(trx, null, {
        case: 'dataErasureCompleted',
        value: { userId, service: KithService.SUPPORT },
      });
      app.logger.info(
        { userId, incidents: owned.length, alerted: alerted.length },
        'support user erased',
      );
    },
  };
}
