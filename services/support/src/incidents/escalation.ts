import { EscalationTarget, ResponderState } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Kysely } from 'kysely';
import type { SupportApp } from '../app.js';
import { alertEmergencyContacts } from '../contacts/alert.js';
import type { SupportDatabase } from '../db/schema.js';
import { circlesOf, membersOf } from '../projections/circle-store.js';
import { dueIncidents, findIncident, insertResponders, updateIncident } from './incident-store.js';
import type { IncidentRow } from './incident-store.js';
import { ownerTextWithheld } from './incident-view.js';
import { recordChange, silentFor } from './record.js';
import type { EntrySpec } from './record.js';

type Db = Kysely<SupportDatabase>;

/** Rank of a responder state in ListResponders order (most advanced first). */
export const RANK: Record<number, number> = {
  [ResponderState.RESPONDED]: 4,
  [ResponderState.ACKNOWLEDGED]: 3,
  [ResponderState.DELIVERED]: 2,
  [ResponderState.NOTIFIED]: 1,
};

/** What a circle target's reach depends on. */
type Reachable = Pick<IncidentRow, 'owner_id' | 'circle_ids'>;

/** The users a circle target of the ladder reaches (never the owner). */
export async function usersFor(db: Db, row: Reachable, target: number): Promise<string[]> {
  switch (target) {
    case EscalationTarget.PRIMARY_CONTACTS:
      return membersOf(db, row.circle_ids, row.owner_id, 'primary_contact');
    case EscalationTarget.INCIDENT_CIRCLES:
      return membersOf(db, row.circle_ids, row.owner_id);
    case EscalationTarget.ALL_CIRCLES: {
      const circles = new Set([...row.circle_ids, ...(await circlesOf(db, row.owner_id))]);
      return membersOf(db, [...circles], row.owner_id);
    }
    default:
      return [];
  }
}

/** Who a circle target reaches, asked of the database once per target and kept. */
export type UsersOf = (target: number) => Promise<string[]>;

/**
 * `usersFor` of one incident, each target asked once (an opening asks some twice); `read`
 * holds targets already asked (before the transaction, see `membersReached`).
 */
export function usersOfIncident(
  db: Db,
  row: Reachable,
  read: ReadonlyMap<number, string[]> = new Map(),
): UsersOf {
  const known = new Map([...read].map(([target, users]) => [target, Promise.resolve(users)]));
  return (target) => {
    let users = known.get(target);
    if (!users) known.set(target, (users = usersFor(db, row, target)));
    return users;
  };
}

/** Alerts `userIds` (those not alerted yet) at `step`; returns who was newly alerted. */
export async function alertUsers(
  db: Db,
  row: IncidentRow,
  userIds: readonly string[],
  step: number,
  at: Date,
): Promise<string[]> {
  return insertResponders(
    db,
    userIds.map((userId) => ({
      incident_id: row.id,
      user_id: userId,
      state: ResponderState.NOTIFIED,
      rank: RANK[ResponderState.NOTIFIED]!,
      escalation_step: step,
      notified_at: at,
    })),
  );
}

/** What firing one ladder step did. */
export interface FiredStep {
  index: number;
  target: number;
  /** Users newly alerted. */
  notified: string[];
  /** Emergency contacts sent an SMS or e-mail. */
  contacts: number;
  /** The step reached nobody: it is skipped and the next fires at once. */
  skipped: boolean;
  entries: EntrySpec[];
}

/** The timeline entries of a step that alerted users and contacts. */
function stepEntries(index: number, target: number, notified: string[], contacts: number) {
  const entries: EntrySpec[] = notified.map((userId) => ({
    event: { case: 'notified', value: { userId, escalationStep: index } },
    actorId: null,
  }));
  entries.push({
    event: {
      case: 'escalated',
      value: { step: index, target, notifiedCount: notified.length + contacts },
    },
    actorId: null,
  });
  return entries;
}

/**
 * Fires ladder step `index` of the locked incident: alerts the users of a circle target who
 * were not alerted yet, the emergency contacts, or prompts to call emergency services.
 */
export async function fireStep(
  app: SupportApp,
  db: Db,
  row: IncidentRow,
  index: number,
  at: Date,
  usersOf: UsersOf = (target) => usersFor(db, row, target),
): Promise<FiredStep> {
  const target = row.ladder[index]!.target;
  if (target === EscalationTarget.EMERGENCY_CONTACTS) {
    const contacts = await alertEmergencyContacts(app, db, {
      incidentId: row.id,
      ownerId: row.owner_id,
      kind: row.kind,
      // Emergency contacts are alerted as responders are: without the owner's text while
      // moderation withholds it.
      message: ownerTextWithheld(row, 'responder') ? '' : row.message,
      emergencyKind: row.emergency_kind,
      duress: row.duress_cancelled_at !== null,
    });
    return {
      index,
      target,
      notified: [],
      contacts,
      skipped: contacts === 0,
      entries: contacts === 0 ? [] : stepEntries(index, target, [], contacts),
    };
  }
  if (target === EscalationTarget.EMERGENCY_SERVICES_PROMPT) {
    return {
      index,
      target,
      notified: [],
      contacts: 0,
      skipped: false,
      entries: stepEntries(index, target, [], 0),
    };
  }
  const notified = await alertUsers(db, row, await usersOf(target), index, at);
  return {
    index,
    target,
    notified,
    contacts: 0,
    skipped: notified.length === 0,
    entries: notified.length === 0 ? [] : stepEntries(index, target, notified, 0),
  };
}

/**
 * Fires the due steps of one locked incident, each its own change (version, timeline and a
 * support.escalated event); a step that reached nobody makes the next one due at once.
 */
export async function runDueSteps(
  app: SupportApp,
  db: Db,
  locked: IncidentRow,
  now: Date,
): Promise<IncidentRow> {
  let row = locked;
  for (;;) {
    if (row.next_step_at === null || row.next_step_at > now || row.ladder_stopped) return row;
    const index = row.current_step + 1;
    if (index >= row.ladder.length) {
      row = { ...row, next_step_at: null };
      await recordNoStep(db, row);
      return row;
    }
    const silent = silentFor(row);
    const fired = await fireStep(app, db, row, index, now);
    const next = index + 1 < row.ladder.length ? index + 1 : -1;
    const nextAt =
      next < 0
        ? null
        : fired.skipped
          ? now
          : new Date(Math.max(row.created_at.getTime() + row.ladder[next]!.afterMs, now.getTime()));
    if (fired.skipped) {
      row = { ...row, current_step: index, next_step_at: nextAt };
      await recordNoStep(db, row);
      continue;
    }
    row = await recordChange(db, row, now, fired.entries, {
      current_step: index,
      next_step_at: nextAt,
      escalated: row.escalated || index > 0,
    });
    await app.emit(db, null, {
      case: 'supportEscalated',
      value: {
        incidentId: row.id,
        ownerId: row.owner_id,
        step: index,
        target: fired.target,
        notifiedUserIds: fired.notified,
        silent,
        version: BigInt(row.version),
        emergencyContactsNotified: fired.contacts,
      },
    });
  }
}

/** A skipped step moves the ladder's pointer on without a change anyone sees. */
async function recordNoStep(db: Db, row: IncidentRow): Promise<void> {
  await updateIncident(db, row.id, {
    current_step: row.current_step,
    next_step_at: row.next_step_at,
  });
}

/**
 * One pass of the ladder runner: every incident with a step due, each in its own transaction
 * with the row locked (other runners skip it), so a step fires exactly once: the change and
 * the pointer to the next step commit together, and an Acknowledge that committed first has
 * cleared `next_step_at` (re-read under the lock).
 */
export async function runLadders(app: SupportApp, limit = 50): Promise<number> {
  const now = app.clock();
  let fired = 0;
  const due = await app.database.transaction(async (trx) =>
    (await dueIncidents(trx, now, limit)).map((r) => r.id),
  );
  for (const incidentId of due) {
    await app.database.transaction(async (trx) => {
      const row = await findIncident(trx, incidentId, true);
      if (!row) return;
      const after = await runDueSteps(app, trx, row, now);
      fired += after.current_step - row.current_step;
    });
  }
  return fired;
}
