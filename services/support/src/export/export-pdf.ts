import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Duration, Timestamp } from '@bufbuild/protobuf/wkt';
import type { Location, UserSummary } from '@kith/gen/kith/common/v1/common_pb.js';
import {
  DeliveryChannel,
  EmergencyKind,
  EscalationTarget,
  HelpType,
  IncidentKind,
  IncidentStatus,
  ResolutionKind,
  ResponderState,
  ResponseKind,
  Severity,
} from '@kith/gen/kith/support/v1/types_pb.js';
import type {
  Incident,
  LocationShare,
  Responder,
  TimelineEntry,
} from '@kith/gen/kith/support/v1/types_pb.js';
import PDFDocument from 'pdfkit';
import type { IncidentExportDocument } from './export-document.js';

/**
 * The standard PDF fonts cover Windows-1252 only: Latin-1 and these. Anything else prints as
 * `?` in the PDF (the JSON export keeps every character).
 */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

export function pdfSafe(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0)!;
    if (ch === '\n' || (code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code <= 0xff)) out += ch;
    else if (WIN_ANSI_EXTRA.has(ch)) out += ch;
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += ' ';
    else out += '?';
  }
  return out;
}

/** An enum value by name, in words: `ON_MY_WAY` → `on my way`. */
function label(values: Record<number, string>, value: number): string {
  const name = values[value];
  return name ? name.toLowerCase().replaceAll('_', ' ') : String(value);
}

function when(ts: Timestamp | undefined): string {
  return ts ? timestampDate(ts).toISOString().replace('T', ' ').replace('.000Z', 'Z') : '-';
}

function minutes(d: Duration | undefined): string {
  if (!d) return '';
  const total = Math.round(Number(d.seconds) / 60);
  return total < 60 ? `${total} min` : `${Math.floor(total / 60)} h ${total % 60} min`;
}

function place(location: Location | undefined): string {
  if (!location?.point) return 'no fix';
  const { latitude, longitude } = location.point;
  const accuracy =
    location.accuracyMeters > 0 ? ` (±${Math.round(location.accuracyMeters)} m)` : '';
  const name = location.label ? `, ${location.label}` : '';
  return `${latitude.toFixed(6)}, ${longitude.toFixed(6)}${accuracy}${name}`;
}

function personOf(user: UserSummary | undefined, id: string): string {
  if (!user || (!user.username && !user.displayName)) return `user ${id}`;
  const name = user.displayName || user.username;
  return user.username && user.username !== name ? `${name} (@${user.username})` : `@${name}`;
}

/** Names by user id: the owner and everyone alerted. */
function namesOf(doc: IncidentExportDocument): (id: string) => string {
  const users = new Map<string, UserSummary>();
  if (doc.incident.owner) users.set(doc.incident.owner.userId, doc.incident.owner);
  for (const r of doc.responders) if (r.user) users.set(r.user.userId, r.user);
  return (id) => (id ? personOf(users.get(id), id) : 'Kith');
}

function shareText(share: LocationShare): string {
  const end = share.stoppedAt
    ? `stopped ${when(share.stoppedAt)}`
    : `until ${when(share.expiresAt)}`;
  return `from ${when(share.startedAt)}, ${end}; last fix: ${place(share.lastLocation)}`;
}

/** What a timeline entry says, in words. */
export function describeEntry(entry: TimelineEntry, name: (id: string) => string): string {
  const e = entry.event;
  switch (e.case) {
    case 'opened':
      return `Opened (${label(IncidentKind, e.value.kind)}) in ${e.value.circleIds.length} circle(s)`;
    case 'notified':
      return `Alerted ${name(e.value.userId)} (ladder step ${e.value.escalationStep})`;
    case 'delivered':
      return `Alert reached ${name(e.value.userId)} (${label(DeliveryChannel, e.value.channel)})`;
    case 'acknowledged':
      return `${name(e.value.userId)} saw the alert`;
    case 'responded': {
      const eta = e.value.eta ? `, ETA ${minutes(e.value.eta)}` : '';
      const note = e.value.note ? `: "${e.value.note}"` : '';
      return `Response: ${label(ResponseKind, e.value.kind)}${eta}${note}`;
    }
    case 'claimed':
      return `${name(e.value.userId)} is handling it`;
    case 'escalated':
      return `Ladder step ${e.value.step}: ${label(EscalationTarget, e.value.target)}, ${e.value.notifiedCount} alerted`;
    case 'locationShared':
      return `Location shared ${shareText(e.value)}`;
    case 'locationStopped':
      return `Location sharing ended ${shareText(e.value)}`;
    case 'resolved':
      return `Resolved: ${label(ResolutionKind, e.value.kind)}${e.value.reason ? ` - "${e.value.reason}"` : ''}`;
    case 'cancelled':
      return 'Cancelled by the owner';
    case 'exported':
      return `Exported by ${name(e.value.exportedByUserId)}`;
    case 'note': {
      const media =
        e.value.mediaIds.length > 0 ? ` (${e.value.mediaIds.length} attachment(s))` : '';
      return `Note: "${e.value.text}"${media}`;
    }
    case undefined:
      return 'Entry of an unknown kind';
  }
}

function incidentFacts(incident: Incident, name: (id: string) => string): [string, string][] {
  const facts: [string, string][] = [
    ['Incident', incident.incidentId],
    ['Kind', label(IncidentKind, incident.kind)],
    ['Status', label(IncidentStatus, incident.status)],
    ['Owner', name(incident.owner?.userId ?? '')],
    ['Opened', when(incident.createdAt)],
  ];
  if (incident.kind === IncidentKind.HELP_REQUEST) {
    facts.push(['Help asked', label(HelpType, incident.helpType)]);
    facts.push(['Severity', label(Severity, incident.severity)]);
  }
  if (incident.emergencyKind !== EmergencyKind.UNSPECIFIED) {
    facts.push(['Emergency', label(EmergencyKind, incident.emergencyKind)]);
  }
  if (incident.message) facts.push(['Message', incident.message]);
  facts.push(['Circles', incident.circleIds.join(', ') || '-']);
  if (incident.checkInId) facts.push(['Check-in', incident.checkInId]);
  if (incident.claimedByUserId) facts.push(['Handled by', name(incident.claimedByUserId)]);
  if (incident.escalation) {
    const next = incident.escalation.nextStepAt
      ? `, next step ${when(incident.escalation.nextStepAt)}`
      : '';
    const stopped = incident.escalation.stopped ? ', stopped' : '';
    facts.push(['Ladder', `step ${incident.escalation.currentStep}${stopped}${next}`]);
  }
  if (incident.resolution) {
    const r = incident.resolution;
    const kind = r.kind ? label(ResolutionKind, r.kind) : 'cancelled';
    const reason = r.reason ? ` - "${r.reason}"` : '';
    facts.push(['Ended', `${when(r.resolvedAt)} by ${name(r.resolvedByUserId)}: ${kind}${reason}`]);
  }
  if (incident.locationShare) facts.push(['Location', shareText(incident.locationShare)]);
  const c = incident.responderCounts;
  if (c) {
    facts.push([
      'Reached',
      `${c.notified} alerted, ${c.delivered} delivered, ${c.acknowledged} acknowledged, ${c.onMyWay} on their way`,
    ]);
  }
  return facts;
}

function responderLine(r: Responder, name: (id: string) => string): string {
  const parts = [
    `${name(r.user?.userId ?? '')}: ${label(ResponderState, r.state)}`,
    `alerted ${when(r.notifiedAt)} (step ${r.escalationStep})`,
  ];
  if (r.deliveredAt) parts.push(`delivered ${when(r.deliveredAt)}`);
  if (r.acknowledgedAt) parts.push(`seen ${when(r.acknowledgedAt)}`);
  const response = r.latestResponse;
  if (response) {
    const eta = response.eta ? ` (ETA ${minutes(response.eta)})` : '';
    const note = response.note ? ` "${response.note}"` : '';
    parts.push(`${label(ResponseKind, response.kind)}${eta} ${when(response.respondedAt)}${note}`);
  }
  return parts.join('; ');
}

/**
 * The PDF file: the incident, everyone alerted with their state, and the timeline, for a
 * person to read (the JSON file is the machine-readable record). The same document always
 * renders to the same bytes (its dates are the export's).
 */
export async function exportPdf(doc: IncidentExportDocument): Promise<Uint8Array> {
  const name = namesOf(doc);
  const pdf = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: `Kith incident ${doc.incident.incidentId}`,
      Creator: 'Kith',
      Producer: 'Kith',
      CreationDate: doc.exportedAt,
      ModDate: doc.exportedAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Uint8Array>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    pdf.on('error', reject);
  });
  const text = (s: string, options?: PDFKit.Mixins.TextOptions) => pdf.text(pdfSafe(s), options);
  const heading = (s: string) => {
    pdf.moveDown().font('Helvetica-Bold').fontSize(13);
    text(s);
    pdf.font('Helvetica').fontSize(10).moveDown(0.3);
  };

  pdf.font('Helvetica-Bold').fontSize(18);
  text('Kith incident record');
  pdf.font('Helvetica').fontSize(9).fillColor('#555555');
  text(
    `Exported by its owner at ${when(timestampFromDate(doc.exportedAt))}. ` +
      'The SHA-256 returned with the download link identifies this file.',
  );
  pdf.fillColor('black');

  heading('Incident');
  for (const [key, value] of incidentFacts(doc.incident, name)) {
    pdf.font('Helvetica-Bold');
    text(`${key}: `, { continued: true });
    pdf.font('Helvetica');
    text(value);
  }

  heading(`People alerted (${doc.responders.length})`);
  if (doc.responders.length === 0) text('Nobody was alerted.');
  for (const r of doc.responders) text(responderLine(r, name), { paragraphGap: 2 });

  heading(`Timeline (${doc.timeline.length} entries)`);
  for (const entry of doc.timeline) {
    pdf.font('Helvetica-Bold');
    text(`#${entry.sequence}  ${when(entry.occurredAt)}  ${name(entry.actorUserId)}`);
    pdf.font('Helvetica');
    text(describeEntry(entry, name), { indent: 12, paragraphGap: 3 });
  }
  pdf.end();
  return done;
}
