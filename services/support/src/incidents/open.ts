import { toJson } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { LocationSchema } from '@kith/gen/kith/common/v1/common_pb.js';
import type { Location } from '@kith/gen/kith/common/v1/common_pb.js';
import {
  DeviceContextSchema,
  EscalationTarget,
  IncidentKind,
  IncidentStatus,
  Reach,
} from '@kith/gen/kith/support/v1/types_pb.js';
import type { DeviceContext } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { SupportApp } from '../app.js';
import { alertEmergencyContacts } from '../contacts/alert.js';
import type { StoredStep, SupportDatabase } from '../db/schema.js';
import { ladderSteps } from '../ladder/steps.js';
import { membersOf } from '../projections/circle-store.js';
import { alertUsers, fireStep, usersFor, usersOfIncident } from './escalation.js';
import type { UsersOf } from './escalation.js';
import { insertIncident, updateIncident } from './incident-store.js';
import type { IncidentRow } from './incident-store.js';
import { hasLadder } from './incident-view.js';
import { appendEntries } from './record.js';
import type { EntrySpec } from './record.js';

type Db = Kysely<SupportDatabase>;

/** Location sharing started with an incident: 24 h for an SOS, 1 h for a help request. */
export const SOS_SHARE_MS = 24 * 3600_000;
export const HELP_SHARE_MS = 3600_000;

export interface OpenSpec {
  kind: IncidentKind;
  ownerId: string;
  circleIds: string[];
  helpType?: number;
  severity?: number;
  message: string;
  emergencyKind?: number;
  device?: DeviceContext | undefined;
  location?: Location | undefined;
  checkInId?: string;
  at: Date;
  /** The owner's ladder, when read already (else read in the transaction). */
  ladder?: StoredStep[];
  /** Who circle targets reach, when read already (`membersReached`). */
  reached?: ReadonlyMap<number, string[]>;
}

/**
 * The circle targets, each reaching everyone the one before it reaches: the primary contacts
 * are members of the incident's circles, which are among all the owner's circles.
 */
const MEMBER_TARGETS_WIDEST_FIRST = [
  EscalationTarget.ALL_CIRCLES,
  EscalationTarget.INCIDENT_CIRCLES,
  EscalationTarget.PRIMARY_CONTACTS,
];

/** The ladder's widest circle target, if it has one. */
function widestMemberTarget(ladder: readonly StoredStep[]): number | undefined {
  return MEMBER_TARGETS_WIDEST_FIRST.find((t) => ladder.some((s) => s.target === t));
}

/** Whether any circle step of the ladder can reach a member: its widest one can. */
async function canReachMembers(row: IncidentRow, usersOf: UsersOf): Promise<boolean> {
  const widest = widestMemberTarget(row.ladder);
  return widest !== undefined && (await usersOf(widest)).length > 0;
}

/**
 * Who each circle target of `ladder` reaches, read side by side before the transaction, for an
 * opening that then holds no membership read (OpenSpec.reached).
 */
export async function membersReached(
  db: Db,
  ownerId: string,
  circleIds: string[],
  ladder: readonly StoredStep[],
): Promise<Map<number, string[]>> {
  const row = { owner_id: ownerId, circle_ids: circleIds };
  const asked = MEMBER_TARGETS_WIDEST_FIRST.filter((t) => ladder.some((s) => s.target === t));
  return new Map(
    await Promise.all(asked.map(async (t) => [t, await usersFor(db, row, t)] as const)),
  );
}

/** What opening alerted: users, entries, and where the ladder stands. */
interface Opening {
  reach: Reach;
  notified: string[];
  entries: EntrySpec[];
  currentStep: number;
  nextStepAt: Date | null;
}

/** A help request alerts the circles' responders (opted in), never anyone else; no ladder. */
async function openHelpRequest(db: Db, row: IncidentRow, at: Date): Promise<Opening> {
  const responders = await membersOf(db, row.circle_ids, row.owner_id, 'responder');
  const notified = await alertUsers(db, row, responders, 0, at);
  return {
    reach: notified.length > 0 ? Reach.MEMBERS : Reach.NOBODY,
    notified,
    entries: notified.map((userId) => ({
      event: { case: 'notified', value: { userId, escalationStep: 0 } },
      actorId: null,
    })),
    currentStep: -1,
    nextStepAt: null,
  };
}

/**
 * An SOS or missed check-in fires the steps due at once (the first, and each after a step that
 * reached nobody). When no circle step can reach a member, the emergency contacts are alerted
 * at once, and with none of those the emergency-services prompt fires at once; the ladder is
 * then done.
 */
async function openLadder(
  app: SupportApp,
  db: Db,
  row: IncidentRow,
  at: Date,
  reached: ReadonlyMap<number, string[]> | undefined,
): Promise<Opening> {
  const steps = row.ladder;
  const last = steps.length - 1;
  const usersOf = usersOfIncident(db, row, reached);
  if (!(await canReachMembers(row, usersOf))) {
    const contacts = await alertEmergencyContacts(app, db, {
      incidentId: row.id,
      ownerId: row.owner_id,
      kind: row.kind,
      message: row.message,
      emergencyKind: row.emergency_kind,
      duress: false,
    });
    const target =
      contacts > 0
        ? EscalationTarget.EMERGENCY_CONTACTS
        : EscalationTarget.EMERGENCY_SERVICES_PROMPT;
    const index = Math.max(
      steps.findIndex((s) => s.target === target),
      0,
    );
    return {
      reach: contacts > 0 ? Reach.EMERGENCY_CONTACTS_ONLY : Reach.NOBODY,
      notified: [],
      entries: [
        {
          event: { case: 'escalated', value: { step: index, target, notifiedCount: contacts } },
          actorId: null,
        },
      ],
      currentStep: last,
      nextStepAt: null,
    };
  }
  const notified: string[] = [];
  const entries: EntrySpec[] = [];
  let index = 0;
  let skipAhead = false;
  while (index < steps.length && (skipAhead || steps[index]!.afterMs <= 0)) {
    const fired = await fireStep(app, db, row, index, at, usersOf);
    notified.push(...fired.notified);
    entries.push(...fired.entries);
    skipAhead = fired.skipped;
    index += 1;
  }
  const next = steps[index];
  return {
    reach: Reach.MEMBERS,
    notified,
    entries,
    currentStep: index - 1,
    nextStepAt: !next ? null : skipAhead ? at : new Date(at.getTime() + next.afterMs),
  };
}

/**
 * Opens an incident in the transaction and alerts its first recipients: the record (version 1),
 * its responders, its timeline from sequence 1, and support.alert_raised (plus
 * support.location_shared when it came with a location).
 */
export async function openIncident(
  app: SupportApp,
  db: Db,
  spec: OpenSpec,
): Promise<{ row: IncidentRow; reach: Reach }> {
  const id = uuidv7();
  const ladder: StoredStep[] = hasLadder(spec.kind)
    ? (spec.ladder ?? (await ladderSteps(db, spec.ownerId)))
    : [];
  const shareMs = spec.kind === IncidentKind.HELP_REQUEST ? HELP_SHARE_MS : SOS_SHARE_MS;
  const location = spec.location ? JSON.stringify(toJson(LocationSchema, spec.location)) : null;
  const inserted = await insertIncident(db, {
    id,
    kind: spec.kind,
    owner_id: spec.ownerId,
    help_type: spec.helpType ?? 0,
    severity: spec.severity ?? 0,
    message: spec.message,
    emergency_kind: spec.emergencyKind ?? 0,
    circle_ids: spec.circleIds,
    status: IncidentStatus.OPEN,
    owner_status: IncidentStatus.OPEN,
    reach: Reach.UNSPECIFIED,
    check_in_id: spec.checkInId ?? null,
    device: spec.device ? JSON.stringify(toJson(DeviceContextSchema, spec.device)) : null,
    ladder: JSON.stringify(ladder),
    location,
    location_started_at: location ? spec.at : null,
    location_expires_at: location ? new Date(spec.at.getTime() + shareMs) : null,
    sequence: '0',
    version: '1',
    created_at: spec.at,
    updated_at: spec.at,
  });
  const opening = hasLadder(spec.kind)
    ? await openLadder(app, db, inserted, spec.at, spec.reached)
    : await openHelpRequest(db, inserted, spec.at);
  const entries: EntrySpec[] = [
    {
      event: { case: 'opened', value: { kind: spec.kind, circleIds: spec.circleIds } },
      actorId: spec.ownerId,
    },
  ];
  if (spec.location) {
    entries.push({
      event: {
        case: 'locationShared',
        value: {
          startedAt: timestampFromDate(spec.at),
          expiresAt: timestampFromDate(inserted.location_expires_at!),
          lastLocation: spec.location,
        },
      },
      actorId: spec.ownerId,
    });
  }
  entries.push(...opening.entries);
  const sequence = await appendEntries(db, id, 0n, spec.at, entries);
  const patch = {
    reach: opening.reach,
    sequence: sequence.toString(),
    current_step: opening.currentStep,
    next_step_at: opening.nextStepAt,
    escalated: opening.currentStep > 0,
  };
  await updateIncident(db, id, patch);
  const row = { ...inserted, ...patch } as IncidentRow;
  await app.emit(db, spec.ownerId, {
    case: 'supportAlertRaised',
    value: {
      incidentId: id,
      kind: spec.kind,
      ownerId: spec.ownerId,
      helpType: row.help_type,
      severity: row.severity,
      circleIds: spec.circleIds,
      notifiedUserIds: opening.notified,
      bypassQuietHours: spec.kind !== IncidentKind.HELP_REQUEST,
      version: 1n,
      message: spec.message,
      emergencyKind: row.emergency_kind,
      reach: opening.reach,
    },
  });
  if (spec.location) {
    await app.emit(db, spec.ownerId, {
      case: 'supportLocationShared',
      value: {
        incidentId: id,
        ownerId: spec.ownerId,
        location: spec.location,
        expiresAt: timestampFromDate(inserted.location_expires_at!),
        version: 1n,
        device: spec.device,
        silent: false,
      },
    });
  }
  return { row, reach: opening.reach };
}
