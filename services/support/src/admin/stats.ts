import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import type { GetStatsResponseSchema } from '@kith/gen/kith/support/v1/support_admin_pb.js';
import type { SupportApp } from '../app.js';
import { checkInFigures, incidentFigures } from './stats-store.js';
import type { StatsWindow } from './stats-store.js';

type Stats = MessageInitShape<typeof GetStatsResponseSchema>;

const share = (part: bigint, whole: bigint) => (whole === 0n ? 0 : Number(part) / Number(whole));
const duration = (ms: number | null) => (ms === null ? undefined : durationFromMs(Math.round(ms)));

/**
 * GetStats (staff): figures over the incidents and check-ins created in the window, from the
 * support tables. Aggregates only: nothing names an incident, a person or a place. Rates are 0
 * over no SOS; the acknowledgement times are unset when no SOS in the window was acknowledged.
 */
export async function getStats(app: SupportApp, window: StatsWindow): Promise<Stats> {
  const db = app.database.db;
  const [incidents, checkIns] = await Promise.all([
    incidentFigures(db, window),
    checkInFigures(db, window),
  ]);
  const sos = BigInt(incidents.sos_raised);
  return {
    sosRaised: sos,
    helpRequestsCreated: BigInt(incidents.help_requests),
    medianTimeToFirstAcknowledgement: duration(incidents.median_ack_ms),
    p90TimeToFirstAcknowledgement: duration(incidents.p90_ack_ms),
    escalationRate: share(BigInt(incidents.sos_escalated), sos),
    falseAlarmRate: share(BigInt(incidents.sos_false_alarms), BigInt(incidents.sos_closed)),
    sosReachingNoMember: BigInt(incidents.sos_reaching_no_member),
    checkInsStarted: BigInt(checkIns.started),
    checkInsMissed: BigInt(checkIns.missed),
  };
}
