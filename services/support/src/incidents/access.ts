import { FailedPreconditionError, NotFoundError, PermissionDeniedError } from '@kith/errors';
import type { Kysely } from 'kysely';
import type { SupportDatabase } from '../db/schema.js';
import { findIncident, findResponder } from './incident-store.js';
import type { IncidentRow, ResponderRow } from './incident-store.js';
import { openFor } from './incident-view.js';
import type { Viewer } from './incident-view.js';

export const incidentNotFound = () => new NotFoundError('incident not found');
export const closed = () => new FailedPreconditionError('the incident is closed');

/** An incident and who the caller is to it. */
export interface Access {
  row: IncidentRow;
  viewer: Viewer;
  /** The caller's responder row (alerted users only). */
  responder?: ResponderRow;
}

/**
 * The incident as `userId` may see it: its owner, or someone it alerted; NotFound for anyone
 * else, exactly as for an incident that does not exist. `lock` takes the row for the
 * transaction first.
 */
export async function accessIncident(
  db: Kysely<SupportDatabase>,
  incidentId: string,
  userId: string,
  lock = false,
): Promise<Access> {
  const row = await findIncident(db, incidentId, lock);
  if (!row) throw incidentNotFound();
  if (row.owner_id === userId) return { row, viewer: 'owner' };
  const responder = await findResponder(db, incidentId, userId);
  if (!responder) throw incidentNotFound();
  return { row, viewer: 'responder', responder };
}

/** Alerted responders only: the owner gets PermissionDenied; the incident must be open. */
export function requireOpenResponder(access: Access): ResponderRow {
  if (access.viewer === 'owner' || !access.responder) {
    throw new PermissionDeniedError('the owner of an incident cannot respond to it');
  }
  if (!openFor(access.row, 'responder')) throw closed();
  return access.responder;
}

/** The owner only: responders get PermissionDenied; the incident must be open for the owner. */
export function requireOpenOwner(access: Access, what: string): IncidentRow {
  if (access.viewer !== 'owner') throw new PermissionDeniedError(`only the owner can ${what}`);
  if (!openFor(access.row, 'owner')) throw closed();
  return access.row;
}
