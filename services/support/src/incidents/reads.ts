import type {
  GetIncidentTimelineRequest,
  ListIncidentsRequest,
  ListRespondersRequest,
} from '@kith/gen/kith/support/v1/support_pb.js';
import { IncidentRelation } from '@kith/gen/kith/support/v1/support_pb.js';
import type { Incident, Responder, TimelineEntry } from '@kith/gen/kith/support/v1/types_pb.js';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { InvalidArgumentError } from '@kith/errors';
import { normalizePageSize } from '@kith/db';
import type { SignedInCaller } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { accessIncident } from './access.js';
import { incidentsPage, respondersPage, timelineEntries } from './incident-store.js';
import {
  frozenResponders,
  incidentView,
  responderMessages,
  timelineEntryFor,
} from './incident-view.js';

/** GetIncident: the owner and those alerted; NotFound for anyone else. */
export async function getIncident(
  app: SupportApp,
  caller: SignedInCaller,
  incidentId: string,
): Promise<Incident> {
  const db = app.database.db;
  const access = await accessIncident(db, incidentId, caller.principal.userId);
  return incidentView(db, access.row, access.viewer);
}

/** ListIncidents: the caller's own and those they were alerted to, newest first. */
export async function listIncidents(
  app: SupportApp,
  caller: SignedInCaller,
  req: ListIncidentsRequest,
): Promise<{ incidents: Incident[]; nextPageToken: string }> {
  const userId = caller.principal.userId;
  const db = app.database.db;
  const relation = req.relation;
  const page = await incidentsPage(db, {
    userId,
    owned: relation !== IncidentRelation.ALERTED,
    alerted: relation !== IncidentRelation.OWNED,
    statuses: req.statuses,
    circleId: req.circleId || undefined,
    createdAfter: req.createdAfter ? timestampDate(req.createdAfter) : undefined,
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `support.ListIncidents:${userId}:${relation}:${req.statuses.join(',')}:${req.circleId}:${req.createdAfter ? timestampDate(req.createdAfter).getTime() : ''}`,
  });
  const incidents = await Promise.all(
    page.items.map((row) => incidentView(db, row, row.owner_id === userId ? 'owner' : 'responder')),
  );
  return { incidents, nextPageToken: page.nextPageToken };
}

/**
 * ListResponders: most advanced state first. The owner of a closed incident reads the list as it
 * was when their view closed.
 */
export async function listResponders(
  app: SupportApp,
  caller: SignedInCaller,
  req: ListRespondersRequest,
): Promise<{ responders: Responder[]; nextPageToken: string }> {
  const userId = caller.principal.userId;
  const db = app.database.db;
  const access = await accessIncident(db, req.incidentId, userId);
  const binding = `support.ListResponders:${userId}:${req.incidentId}:${req.states.join(',')}`;
  const frozen = access.viewer === 'owner' ? frozenResponders(access.row) : undefined;
  if (frozen) {
    const size = normalizePageSize(req.pageSize);
    const start = req.pageToken ? Number(app.pageTokens.decode(req.pageToken, binding).id) : 0;
    if (!Number.isInteger(start) || start < 0) {
      throw new InvalidArgumentError([{ field: 'page_token', message: 'invalid page token' }]);
    }
    const matching = frozen.filter((r) => req.states.length === 0 || req.states.includes(r.state));
    const items = matching.slice(start, start + size);
    const next = start + size < matching.length;
    return {
      responders: items,
      nextPageToken: next
        ? app.pageTokens.encode({ keys: [], id: String(start + size) }, binding)
        : '',
    };
  }
  const page = await respondersPage(db, {
    incidentId: req.incidentId,
    states: req.states,
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding,
  });
  return { responders: await responderMessages(db, page.items), nextPageToken: page.nextPageToken };
}

/**
 * GetIncidentTimeline: oldest first, from `after_sequence` or a page token. The owner reads up
 * to where their view closed, never a duress flag.
 */
export async function getIncidentTimeline(
  app: SupportApp,
  caller: SignedInCaller,
  req: GetIncidentTimelineRequest,
): Promise<{ entries: TimelineEntry[]; nextPageToken: string }> {
  const userId = caller.principal.userId;
  const db = app.database.db;
  const access = await accessIncident(db, req.incidentId, userId);
  const binding = `support.GetIncidentTimeline:${userId}:${req.incidentId}`;
  const size = normalizePageSize(req.pageSize);
  const after = req.pageToken
    ? BigInt(app.pageTokens.decode(req.pageToken, binding).id)
    : req.afterSequence;
  const max =
    access.viewer === 'owner' && access.row.owner_sequence !== null
      ? BigInt(access.row.owner_sequence)
      : undefined;
  const rows = await timelineEntries(db, {
    incidentId: req.incidentId,
    afterSequence: after,
    maxSequence: max,
    limit: size + 1,
  });
  const entries = rows
    .slice(0, size)
    .map((r) => timelineEntryFor(r.entry, access.viewer, access.row));
  const last = entries[entries.length - 1];
  return {
    entries,
    nextPageToken:
      rows.length > size && last
        ? app.pageTokens.encode({ keys: [], id: last.sequence.toString() }, binding)
        : '',
  };
}
