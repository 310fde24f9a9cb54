import { enqueueMail, InvalidMailError } from '@kith/mail';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { SupportApp } from '../app.js';
import type { SupportDatabase } from '../db/schema.js';
import { alertMessage, ownerLabel } from './contact-messages.js';
import { alertableContacts, ownerName, queueSms } from './contacts-store.js';

/** What an emergency contact is told about an incident (never its location). */
export interface ContactAlert {
  incidentId: string;
  ownerId: string;
  /** IncidentKind. */
  kind: number;
  message: string;
  /** EmergencyKind. */
  emergencyKind: number;
  /** After a duress cancel: the contact is told not to call or message the owner's phone. */
  duress: boolean;
}

/**
 * Queues an SMS and/or e-mail to each of the owner's emergency contacts that has not opted out,
 * in the transaction; returns how many contacts were queued. UNREACHABLE contacts are still
 * tried (their notice failed; the alert may not). The relays send once the caller commits.
 */
export async function alertEmergencyContacts(
  app: SupportApp,
  trx: Kysely<SupportDatabase>,
  alert: ContactAlert,
): Promise<number> {
  const contacts = await alertableContacts(trx, alert.ownerId);
  if (contacts.length === 0) return 0;
  const now = app.clock();
  const text = alertMessage(ownerLabel(await ownerName(trx, alert.ownerId)), alert);
  for (const contact of contacts) {
    if (contact.phone) {
      await queueSms(trx, {
        id: uuidv7(),
        user_id: alert.ownerId,
        contact_id: contact.id,
        notice_id: null,
        to: contact.phone,
        body: text.smsBody,
        created_at: now,
      });
    }
    if (contact.email) {
      try {
        await enqueueMail(
          trx,
          { to: contact.email, subject: text.subject, text: text.text },
          { now },
        );
      } catch (err) {
        // Saved addresses are checked as the mailer checks them; never fail an SOS over one.
        if (!(err instanceof InvalidMailError)) throw err;
        app.logger.error({ contactId: contact.id }, 'emergency contact address unsendable');
      }
    }
  }
  return contacts.length;
}

/** Whether the user has an emergency contact that can be alerted (not opted out). */
export async function hasAlertableContacts(
  db: Kysely<SupportDatabase>,
  userId: string,
): Promise<boolean> {
  return (await alertableContacts(db, userId)).length > 0;
}
