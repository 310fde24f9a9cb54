import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import type {
  SupportAlertRaised,
  SupportCheckInMissed,
  SupportCheckInReminded,
  SupportDuressCancelled,
  SupportEscalated,
  SupportResolved,
} from '@kith/gen/kith/events/v1/support_events_pb.js';
import type {
  IncidentEventSchema,
  ResponderChange,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { CheckInStatus, IncidentKind, IncidentStatus } from '@kith/gen/kith/support/v1/types_pb.js';
import { frame } from './frame.js';
import type { RoutedFrame } from './frame.js';
import { incidentTopic, ownTopic, respondersTopic } from './topics.js';

// The support rows of realtime.proto's table. An incident has two topics: "incident:<id>" for
// its owner, "responders:<id>" for the people it alerted. An event support marked `silent`
// (every incident event after its support.resolved or support.duress_cancelled) goes to
// "responders:<id>" only, with duress: true; `silent` itself never reaches a socket. Never on a
// socket either: who was notified, recipient lists, quiet-hour bypass, notes' and messages'
// text, device context, who resolved.

/** IncidentEvent.change: what one incident event changed. */
export type IncidentChange = NonNullable<MessageInitShape<typeof IncidentEventSchema>['change']>;

/** The fields every incident event carries. */
interface IncidentFacts {
  incidentId: string;
  /** The incident's version after the change. */
  version: bigint;
  /** Published after the incident ended for its owner (see the file comment). */
  silent?: boolean;
}

/** The owner's frame of a change: an IncidentEvent on "incident:<id>". */
function toOwner(envelope: Envelope, e: IncidentFacts, change: IncidentChange): RoutedFrame {
  return frame(envelope, incidentTopic(e.incidentId), {
    case: 'incident',
    value: { incidentId: e.incidentId, version: e.version, change },
  });
}

/**
 * One change of an incident: the IncidentEvent on the owner's topic and, wrapped, on the
 * responders'; a silent one on the responders' topic only, with the duress flag (the owner's
 * topic stays frozen at the cancel, real or duress, by the flag alone).
 */
export function incidentChange(
  envelope: Envelope,
  e: IncidentFacts,
  change: IncidentChange,
): RoutedFrame[] {
  const silent = e.silent ?? false;
  const responders = frame(envelope, respondersTopic(e.incidentId), {
    case: 'incidentResponder',
    value: {
      incidentId: e.incidentId,
      duress: silent,
      event: { incidentId: e.incidentId, version: e.version, change },
    },
  });
  return silent ? [responders] : [toOwner(envelope, e, change), responders];
}

/** The closed change of a resolve or a cancel (the resolution kind of a resolve only). */
function closed(status: IncidentStatus, resolution: SupportResolved['resolution']): IncidentChange {
  return {
    case: 'closed',
    value: { status, resolution: status === IncidentStatus.RESOLVED ? resolution : 0 },
  };
}

/**
 * support.alert_raised: opened on both topics; never who was notified or the quiet hours. An
 * SOS also alerts each user it reached on their own "user" topic (IncidentAlert, ack_required),
 * straight from this event: the notification comes through the user service a hop later. Only
 * an SOS: its notification is delivered whatever the recipient's rules (quiet hours, mutes,
 * blocks, filters), so nobody gets this frame who would not get that notification; a help
 * request's and a missed check-in's do depend on them, and stay with the user service.
 */
export function alertRaised(envelope: Envelope, e: SupportAlertRaised): RoutedFrame[] {
  const opened = incidentChange(envelope, e, {
    case: 'opened',
    value: {
      kind: e.kind,
      helpType: e.helpType,
      severity: e.severity,
      notifiedCount: e.notifiedUserIds.length,
      emergencyKind: e.emergencyKind,
    },
  });
  if (e.kind !== IncidentKind.SOS) return opened;
  const alerts = [...new Set(e.notifiedUserIds)]
    .filter((userId) => userId !== e.ownerId)
    .map((userId) =>
      frame(
        envelope,
        ownTopic('user', userId),
        {
          case: 'incidentAlert',
          value: {
            incidentId: e.incidentId,
            kind: e.kind,
            ownerUserId: e.ownerId,
            emergencyKind: e.emergencyKind,
            version: e.version,
          },
        },
        true,
      ),
    );
  return [...opened, ...alerts];
}

/** A responder's acknowledgement or claim (never the claim's recipients). */
export function responderChanged(
  envelope: Envelope,
  e: IncidentFacts & { responderId: string },
  change: ResponderChange.ACKNOWLEDGED | ResponderChange.CLAIMED,
): RoutedFrame[] {
  return incidentChange(envelope, e, {
    case: 'responder',
    value: { responderUserId: e.responderId, change },
  });
}

/**
 * support.escalated: the step, its target and how many it alerted (users and emergency
 * contacts, as support's timeline counts them); never who.
 */
export function escalated(envelope: Envelope, e: SupportEscalated): RoutedFrame[] {
  return incidentChange(envelope, e, {
    case: 'escalated',
    value: {
      step: e.step,
      target: e.target,
      notifiedCount: e.notifiedUserIds.length + e.emergencyContactsNotified,
    },
  });
}

/** support.resolved: closed (RESOLVED with its kind, or CANCELLED); never who or to whom. */
export function resolved(envelope: Envelope, e: SupportResolved): RoutedFrame[] {
  return incidentChange(envelope, e, closed(e.status, e.resolution));
}

/**
 * support.duress_cancelled: the owner's topic gets exactly the frame a real cancel
 * (support.resolved CANCELLED, not silent) gives it, built by the same code from the same
 * facts; the responders' topic gets the duress notice (no event) instead of the cancel.
 */
export function duressCancelled(envelope: Envelope, e: SupportDuressCancelled): RoutedFrame[] {
  return [
    toOwner(envelope, e, closed(IncidentStatus.CANCELLED, 0)),
    frame(envelope, respondersTopic(e.incidentId), {
      case: 'incidentResponder',
      value: { incidentId: e.incidentId, duress: true },
    }),
  ];
}

/** support.check_in_reminded: the owner's "user" topic, ACTIVE until grace_until. */
export function checkInReminded(envelope: Envelope, e: SupportCheckInReminded): RoutedFrame {
  return frame(envelope, ownTopic('user', e.userId), {
    case: 'checkIn',
    value: {
      checkInId: e.checkInId,
      status: CheckInStatus.ACTIVE,
      graceUntil: e.graceUntil,
      version: e.version,
    },
  });
}

/** support.check_in_missed: the owner's "user" topic, MISSED with the incident opened for it. */
export function checkInMissed(envelope: Envelope, e: SupportCheckInMissed): RoutedFrame {
  return frame(envelope, ownTopic('user', e.userId), {
    case: 'checkIn',
    value: {
      checkInId: e.checkInId,
      status: CheckInStatus.MISSED,
      incidentId: e.incidentId,
      version: e.version,
    },
  });
}
