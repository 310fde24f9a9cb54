import type { Kysely } from 'kysely';
import { SubjectKind } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { ModerationDatabase } from '../db/schema.js';
import type { SubjectRef } from '../subjects/subject-ref.js';

type Db = Kysely<ModerationDatabase>;

export async function openIncident(db: Db, incidentId: string, ownerId: string): Promise<void> {
  await db
    .insertInto('open_incidents')
    .values({ incident_id: incidentId, owner_id: ownerId })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function closeIncident(db: Db, incidentId: string): Promise<void> {
  await db.deleteFrom('open_incidents').where('incident_id', '=', incidentId).execute();
}

/**
 * Whether the subject is, or belongs to, an open help request or SOS: the incident itself while
 * open, or the account of someone with one open.
 */
export async function isSosRelated(db: Db, ref: SubjectRef): Promise<boolean> {
  if (ref.kind !== SubjectKind.INCIDENT && ref.kind !== SubjectKind.USER) return false;
  const row = await db
    .selectFrom('open_incidents')
    .select('incident_id')
    .where(ref.kind === SubjectKind.INCIDENT ? 'incident_id' : 'owner_id', '=', ref.id)
    .executeTakeFirst();
  return row !== undefined;
}

/** The subjects moderation holds that an incident opening or closing concerns. */
export async function subjectsOfIncident(db: Db, incidentId: string, ownerId: string) {
  return db
    .selectFrom('subjects')
    .select(['kind', 'id'])
    .where((eb) =>
      eb.or([
        eb.and([eb('kind', '=', SubjectKind.INCIDENT), eb('id', '=', incidentId)]),
        eb.and([eb('kind', '=', SubjectKind.USER), eb('id', '=', ownerId)]),
      ]),
    )
    .execute();
}

/** The owner of an open incident, if moderation knows it open. */
export async function openIncidentOwner(db: Db, incidentId: string) {
  const row = await db
    .selectFrom('open_incidents')
    .select('owner_id')
    .where('incident_id', '=', incidentId)
    .executeTakeFirst();
  return row?.owner_id;
}
