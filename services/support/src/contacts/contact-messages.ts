import { EmergencyKind, IncidentKind } from '@kith/gen/kith/support/v1/types_pb.js';
import type { ContactAlert } from './alert.js';

/**
 * What contacts are sent. Never a location: an SMS or e-mail outlives the incident on devices
 * Kith does not control. Names come from the user's profile: control characters are removed
 * and the length capped, so a display name cannot forge lines or a link of its own.
 */
function clean(text: string, max: number): string {
  const flat = [...text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ').trim()];
  return flat.length > max ? `${flat.slice(0, max - 1).join('')}…` : flat.join('');
}

/** How a contact knows the user: "Ana (@ana)", "@ana", or a neutral phrase when unknown. */
export function ownerLabel(owner: { displayName: string; username: string } | undefined): string {
  if (!owner) return 'Someone using Kith';
  const username = clean(owner.username, 40);
  const display = clean(owner.displayName, 60);
  return display && display !== username ? `${display} (@${username})` : `@${username}`;
}

export interface Notice {
  smsBody: string;
  subject: string;
  text: string;
}

export function noticeMessage(owner: string, optOutUrl: string): Notice {
  return {
    smsBody: `Kith: ${owner} added you as an emergency contact. If they raise an SOS and nobody answers, you'll get a text. To opt out: ${optOutUrl}`,
    subject: `${owner} added you as an emergency contact on Kith`,
    text: [
      `${owner} added you as an emergency contact on Kith, a safety app for circles of friends and family.`,
      '',
      'If they raise an SOS (or miss a safety check-in) and nobody in their circles answers in time, Kith will tell you by text message or e-mail, so you can try to reach them.',
      '',
      'You do not need to do anything. If you do not want these messages, opt out here and Kith will never message you for them again:',
      optOutUrl,
    ].join('\n'),
  };
}

const EMERGENCY_LABEL: Record<EmergencyKind, string> = {
  [EmergencyKind.UNSPECIFIED]: '',
  [EmergencyKind.POLICE]: ' (police emergency)',
  [EmergencyKind.FIRE]: ' (fire)',
  [EmergencyKind.MEDICAL]: ' (medical emergency)',
};

export interface AlertText {
  smsBody: string;
  subject: string;
  text: string;
}

/** The alert; `duress` tells the contact not to call or message the user's phone. */
export function alertMessage(owner: string, alert: ContactAlert): AlertText {
  if (alert.duress) {
    const body = `${owner} may be under coercion. Do NOT call or message their phone: it may be watched. If you think they are in danger, call emergency services.`;
    return {
      smsBody: `Kith SOS: ${body}`,
      subject: `Kith SOS: ${owner} may be in danger`,
      text: `${body}\n\nYou are receiving this because ${owner} listed you as an emergency contact on Kith.`,
    };
  }
  const what =
    alert.kind === IncidentKind.MISSED_CHECK_IN
      ? `${owner} missed a safety check-in on Kith and has not answered`
      : `${owner} raised an SOS on Kith${EMERGENCY_LABEL[alert.emergencyKind as EmergencyKind] ?? ''} and nobody in their circles has answered yet`;
  const said = alert.message.trim() ? ` They wrote: "${clean(alert.message, 200)}"` : '';
  const ask = 'Please try to reach them. If you think they are in danger, call emergency services.';
  return {
    smsBody: `Kith SOS: ${what}.${said} ${ask}`,
    subject:
      alert.kind === IncidentKind.MISSED_CHECK_IN
        ? `Kith: ${owner} missed a safety check-in`
        : `Kith SOS: ${owner} needs help`,
    text: `${what}.${said}\n\n${ask}\n\nYou are receiving this because ${owner} listed you as an emergency contact on Kith.`,
  };
}
