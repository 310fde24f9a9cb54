import { EscalationTarget } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Kysely } from 'kysely';
import type { StoredStep, SupportDatabase } from '../db/schema.js';
import { findLadder } from './ladder-store.js';

const MINUTE = 60_000;

/**
 * The ladder of a user who never set one: primary contacts at once, the incident's circles at
 * T+2 min, all circles and the emergency contacts at T+5 min, the emergency-services prompt at
 * T+10 min.
 */
export const DEFAULT_LADDER: readonly StoredStep[] = [
  { afterMs: 0, target: EscalationTarget.PRIMARY_CONTACTS },
  { afterMs: 2 * MINUTE, target: EscalationTarget.INCIDENT_CIRCLES },
  { afterMs: 5 * MINUTE, target: EscalationTarget.ALL_CIRCLES },
  { afterMs: 5 * MINUTE, target: EscalationTarget.EMERGENCY_CONTACTS },
  { afterMs: 10 * MINUTE, target: EscalationTarget.EMERGENCY_SERVICES_PROMPT },
];

/** The steps an incident of `userId` runs: their own ladder, or the default. */
export async function ladderSteps(
  db: Kysely<SupportDatabase>,
  userId: string,
): Promise<StoredStep[]> {
  const row = await findLadder(db, userId);
  return row ? row.steps : [...DEFAULT_LADDER];
}
