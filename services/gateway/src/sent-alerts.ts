import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';

/**
 * Unacknowledged alerts one socket keeps. Alerts are rare (one per incident step that reached
 * the user); past this many the oldest is forgotten and its Ack ignored, like an Ack of a frame
 * this socket was never sent.
 */
const MAX_UNACKED = 256;

/** The incident an ack_required frame alerts about; undefined for any other frame. */
export function alertedIncident(frame: ServerFrame): string | undefined {
  if (!frame.ackRequired) return undefined;
  const p = frame.payload;
  if (p.case === 'incidentAlert') return p.value.incidentId;
  if (p.case !== 'notification') return undefined;
  const subject = p.value.subject?.kind;
  return subject?.case === 'incidentId' ? subject.value : undefined;
}

/**
 * The incident alerts (ack_required frames, realtime.proto) one socket was sent and not yet
 * acknowledged, by topic and seq, so that an Ack counts only for a frame that was ack_required
 * and delivered on this very socket (the contract: any other Ack is ignored).
 */
export class SentAlerts {
  private readonly unacked = new Map<string, string>();
  /** Incidents whose receipt this socket gave (at most MAX_UNACKED, the oldest forgotten). */
  private readonly receipted = new Set<string>();

  /** Remembers `frame` if it is an incident alert. */
  sent(frame: ServerFrame): void {
    const incidentId = alertedIncident(frame);
    if (incidentId === undefined) return;
    const key = `${frame.topic}#${frame.seq}`;
    this.unacked.delete(key);
    this.unacked.set(key, incidentId);
    if (this.unacked.size > MAX_UNACKED) {
      this.unacked.delete(this.unacked.keys().next().value!);
    }
  }

  /**
   * The incident of the alert `topic`/`seq` names, once per incident; undefined for any other
   * Ack, and for the Ack of an incident's later alert on this socket (an SOS's NotificationEvent
   * after its IncidentAlert): support keeps the first receipt only.
   */
  acked(topic: string, seq: bigint): string | undefined {
    const key = `${topic}#${seq}`;
    const incidentId = this.unacked.get(key);
    this.unacked.delete(key);
    if (incidentId === undefined || this.receipted.has(incidentId)) return undefined;
    this.receipted.add(incidentId);
    if (this.receipted.size > MAX_UNACKED) {
      this.receipted.delete(this.receipted.values().next().value!);
    }
    return incidentId;
  }
}
