import type { AddIncidentNoteRequest } from '@kith/gen/kith/support/v1/support_pb.js';
import { MediaAttachmentKind } from '@kith/gen/kith/post/v1/internal_pb.js';
import type { TimelineEntry } from '@kith/gen/kith/support/v1/types_pb.js';
import { holdMedia } from '@kith/runtime';
import type { SignedInCaller } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { accessIncident, closed } from './access.js';
import { responderIds, timelineEntries } from './incident-store.js';
import { openFor, ownerTextWithheld, timelineEntryFor } from './incident-view.js';
import { recordChange, silentFor } from './record.js';

/**
 * AddIncidentNote: text and/or the caller's own media (held with post for the incident), on an
 * open incident, by its owner or someone it alerted. Every other person on it is told.
 */
export async function addIncidentNote(
  app: SupportApp,
  caller: SignedInCaller,
  req: AddIncidentNoteRequest,
): Promise<TimelineEntry> {
  const userId = caller.principal.userId;
  const now = caller.now;
  // Checked before media is held, so nobody holds media on an incident they cannot see.
  const first = await accessIncident(app.database.db, req.incidentId, userId);
  if (!openFor(first.row, first.viewer)) throw closed();
  for (const [i, mediaId] of req.mediaIds.entries()) {
    await holdMedia(
      app.clients.post,
      {
        ownerUserId: userId,
        mediaId,
        kind: MediaAttachmentKind.INCIDENT_NOTE,
        refId: req.incidentId,
      },
      `media_ids[${i}]`,
    );
  }
  return app.database.transaction(async (trx) => {
    const access = await accessIncident(trx, req.incidentId, userId, true);
    const row = access.row;
    if (!openFor(row, access.viewer)) throw closed();
    const silent = silentFor(row);
    const after = await recordChange(trx, row, now, [
      {
        event: { case: 'note', value: { text: req.text, mediaIds: req.mediaIds } },
        actorId: userId,
      },
    ]);
    const recipients = [row.owner_id, ...(await responderIds(trx, row.id))].filter(
      (id) => id !== userId && !(silent && id === row.owner_id),
    );
    // The owner's note goes to the responders only: while moderation withholds the owner's
    // text from them, the event (whose text is the notification preview) carries none.
    const withheld = access.viewer === 'owner' && ownerTextWithheld(row, 'responder');
    await app.emit(trx, userId, {
      case: 'supportNoteAdded',
      value: {
        incidentId: row.id,
        ownerId: row.owner_id,
        authorId: userId,
        sequence: BigInt(after.sequence),
        text: withheld ? '' : req.text,
        mediaIds: withheld ? [] : req.mediaIds,
        recipientUserIds: recipients,
        version: BigInt(after.version),
        silent,
      },
    });
    const [entry] = await timelineEntries(trx, {
      incidentId: row.id,
      afterSequence: BigInt(after.sequence) - 1n,
      limit: 1,
    });
    return timelineEntryFor(entry!.entry, access.viewer, row);
  });
}
