import {
  CheckInStatus,
  IncidentKind,
  IncidentStatus,
  Reach,
  ResolutionKind,
} from '@kith/gen/kith/support/v1/types_pb.js';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { SupportDatabase } from '../db/schema.js';

/** A window of GetStats: `since` inclusive, `until` exclusive. */
export interface StatsWindow {
  since: Date;
  until: Date;
}

/** A count as the driver hands it back (bigint: a string from pg). */
type Count = string | number | bigint;

const SOS = IncidentKind.SOS;

/**
 * The figures of the incidents created in the window. Times to the first acknowledgement are
 * interpolated percentiles (percentile_cont) over acknowledged SOS, in milliseconds; null when
 * none was acknowledged. An SOS is closed once it ended for the responders (RESOLVED or
 * CANCELLED; a duress-cancelled one stays open for them until resolved); a false alarm is a
 * real cancel (CANCELLED is only ever set by the cancel PIN) or a FALSE_ALARM resolution of an
 * SOS never cancelled under duress.
 */
export async function incidentFigures(db: Kysely<SupportDatabase>, window: StatsWindow) {
  const ackMs = sql<number>`(extract(epoch from (first_ack_at - created_at)) * 1000)::float8`;
  return db
    .selectFrom('incidents')
    .select([
      sql<Count>`count(*) filter (where kind = ${SOS})`.as('sos_raised'),
      sql<Count>`count(*) filter (where kind = ${IncidentKind.HELP_REQUEST})`.as('help_requests'),
      sql<Count>`count(*) filter (where kind = ${SOS} and escalated)`.as('sos_escalated'),
      sql<Count>`count(*) filter (where kind = ${SOS} and status in (${IncidentStatus.RESOLVED}, ${IncidentStatus.CANCELLED}))`.as(
        'sos_closed',
      ),
      sql<Count>`count(*) filter (where kind = ${SOS} and (status = ${IncidentStatus.CANCELLED} or (status = ${IncidentStatus.RESOLVED} and resolution_kind = ${ResolutionKind.FALSE_ALARM} and duress_cancelled_at is null)))`.as(
        'sos_false_alarms',
      ),
      sql<Count>`count(*) filter (where kind = ${SOS} and reach in (${Reach.EMERGENCY_CONTACTS_ONLY}, ${Reach.NOBODY}))`.as(
        'sos_reaching_no_member',
      ),
      sql<
        number | null
      >`percentile_cont(0.5) within group (order by ${ackMs}) filter (where kind = ${SOS} and first_ack_at is not null)`.as(
        'median_ack_ms',
      ),
      sql<
        number | null
      >`percentile_cont(0.9) within group (order by ${ackMs}) filter (where kind = ${SOS} and first_ack_at is not null)`.as(
        'p90_ack_ms',
      ),
    ])
    .where('created_at', '>=', window.since)
    .where('created_at', '<', window.until)
    .executeTakeFirstOrThrow();
}

/** Check-ins created in the window, and how many of those were missed. */
export async function checkInFigures(db: Kysely<SupportDatabase>, window: StatsWindow) {
  return db
    .selectFrom('check_ins')
    .select([
      sql<Count>`count(*)`.as('started'),
      sql<Count>`count(*) filter (where status = ${CheckInStatus.MISSED})`.as('missed'),
    ])
    .where('created_at', '>=', window.since)
    .where('created_at', '<', window.until)
    .executeTakeFirstOrThrow();
}
