import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { AuditDetails, CircleDatabase } from '../db/schema.js';

export type AuditDb = CircleDatabase;

/** Records one entry of the circle's audit log, in the transaction of the change it records. */
export async function recordAudit(
  db: Kysely<AuditDb>,
  entry: {
    circleId: string;
    action: number;
    actorId: string | null;
    targetId?: string | null;
    details?: AuditDetails;
    at: Date;
  },
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: uuidv7(),
      circle_id: entry.circleId,
      action: entry.action,
      actor_id: entry.actorId,
      target_id: entry.targetId ?? null,
      details: JSON.stringify(entry.details ?? {}),
      created_at: entry.at,
    })
    .execute();
}

/** The circle's audit log, newest first. */
export function auditPage(
  db: Kysely<AuditDb>,
  input: {
    circleId: string;
    actions: readonly number[];
    userId: string;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
  },
) {
  let query = db.selectFrom('audit_log').selectAll().where('circle_id', '=', input.circleId);
  if (input.actions.length > 0) query = query.where('action', 'in', [...input.actions]);
  if (input.userId) {
    const userId = input.userId;
    query = query.where((eb) => eb.or([eb('actor_id', '=', userId), eb('target_id', '=', userId)]));
  }
  return fetchPage(query, {
    columns: [{ ref: 'id', direction: 'desc' }],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `circle.ListCircleAuditLog|${input.circleId}|${[...input.actions].sort().join(',')}|${input.userId}`,
    keysOf: () => [],
    idOf: (row) => row.id,
  });
}
