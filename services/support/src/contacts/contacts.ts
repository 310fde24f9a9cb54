import { assertSendable, enqueueMail, InvalidMailError } from '@kith/mail';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  ResourceExhaustedError,
} from '@kith/errors';
import type { FieldViolation } from '@kith/errors';
import { EmergencyContactState } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { SupportDatabase } from '../db/schema.js';
import { addressHash, normaliseEmail, normalisePhone, optOutToken } from './contact-keys.js';
import { noticeMessage, ownerLabel } from './contact-messages.js';
import type { ContactsConfig } from './contacts-config.js';
import {
  deleteContacts,
  insertContact,
  insertNotice,
  listContacts,
  noticesSince,
  optedOutHashes,
  ownerName,
  queueSms,
  updateContactPlace,
} from './contacts-store.js';
import type { ContactRow } from './contacts-store.js';

/**
 * New contacts a user may add per rolling 24 h (the contract's figure): each one is messaged
 * by Kith at once, so without a cap the ladder would be a free way to text strangers.
 * Contacts that opted out get no notice and do not count.
 */
export const NEW_CONTACTS_PER_DAY = 5;
const DAY_MS = 24 * 3600_000;

/** A contact as the user entered it (EmergencyContact without its output-only state). */
export interface ContactInput {
  name: string;
  phone: string;
  email: string;
}

/** What saving needs of the contacts configuration. */
export type ContactKeys = Pick<ContactsConfig, 'hashKey' | 'linkKey' | 'linkBaseUrl'>;

const hex = (b: Buffer | Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : '');

/** The opt-out page a notice links to. */
export function optOutUrl(keys: ContactKeys & { linkKey: Buffer }, noticeId: string): string {
  return `${keys.linkBaseUrl}/support/contacts/opt-out?token=${optOutToken(keys.linkKey, noticeId)}`;
}

/** Repeated numbers or addresses, and addresses the mailer would refuse. */
function violationsOf(contacts: ContactInput[]): FieldViolation[] {
  const seen = new Set<string>();
  const violations: FieldViolation[] = [];
  contacts.forEach((c, i) => {
    if (c.email) {
      try {
        assertSendable({ to: c.email.trim(), subject: '', text: '' });
      } catch (err) {
        if (!(err instanceof InvalidMailError)) throw err;
        violations.push({
          field: `ladder.emergency_contacts[${i}].email`,
          message: 'not an address Kith can send to',
        });
      }
    }
    for (const [field, value] of [
      ['phone', c.phone ? `p:${normalisePhone(c.phone)}` : ''],
      ['email', c.email ? `e:${normaliseEmail(c.email)}` : ''],
    ] as const) {
      if (!value) continue;
      if (seen.has(value)) {
        violations.push({
          field: `ladder.emergency_contacts[${i}].${field}`,
          message: `this ${field} is already on another contact`,
        });
      }
      seen.add(value);
    }
  });
  return violations;
}

/**
 * Replaces the user's contacts in the transaction (the caller holds the ladder's lock). A
 * contact whose phone and e-mail are both unchanged keeps its row and state. A contact with a
 * number or address not on the ladder before is new: it gets one notice (SMS and/or e-mail)
 * naming the user, with an opt-out link, queued in the transaction — unless one of its
 * addresses opted out of this user, which makes it OPTED_OUT and silent (an opt-out is
 * honoured per contact: none of its addresses is messaged). More than NEW_CONTACTS_PER_DAY new
 * contacts in 24 h answer ResourceExhausted.
 */
export async function saveContacts(
  trx: Kysely<SupportDatabase>,
  keys: ContactKeys,
  input: { userId: string; contacts: ContactInput[]; now: Date },
): Promise<ContactRow[]> {
  const { userId, contacts, now } = input;
  const violations = violationsOf(contacts);
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  const previous = await listContacts(trx, userId, { lock: true });
  if (contacts.length === 0 && previous.length === 0) return [];
  const { hashKey, linkKey } = keys;
  if (!hashKey || !linkKey) {
    throw new FailedPreconditionError('emergency contacts are not available on this server');
  }
  const hashes = (c: ContactInput) => ({
    phone: addressHash(hashKey, userId, 'phone', c.phone),
    email: addressHash(hashKey, userId, 'email', c.email),
  });
  const identity = (phone: Buffer | null, email: Buffer | null) => `${hex(phone)}|${hex(email)}`;
  const known = new Set(previous.flatMap((p) => [hex(p.phone_hash), hex(p.email_hash)]));
  known.delete('');
  const kept = new Map(previous.map((p) => [identity(p.phone_hash, p.email_hash), p]));

  const planned = contacts.map((c, position) => {
    const h = hashes(c);
    const same = kept.get(identity(h.phone, h.email));
    if (same) kept.delete(identity(h.phone, h.email));
    const isNew = [h.phone, h.email].some((b) => b !== null && !known.has(hex(b)));
    return { contact: c, position, hashes: h, same, isNew };
  });
  const optedOut = await optedOutHashes(
    trx,
    userId,
    planned.flatMap((p) => [p.hashes.phone, p.hashes.email]).filter((b): b is Buffer => b !== null),
  );
  const silenced = (p: (typeof planned)[number]) =>
    [p.hashes.phone, p.hashes.email].some((b) => b !== null && optedOut.has(hex(b)));
  const toNotify = planned.filter((p) => !p.same && p.isNew && !silenced(p));
  if (toNotify.length > 0) {
    const window = await noticesSince(trx, userId, new Date(now.getTime() - DAY_MS));
    if (window.count + toNotify.length > NEW_CONTACTS_PER_DAY) {
      const retryAfterMs = window.oldest
        ? Math.max(window.oldest.getTime() + DAY_MS - now.getTime(), 1000)
        : DAY_MS;
      throw new ResourceExhaustedError({
        message: `at most ${NEW_CONTACTS_PER_DAY} new emergency contacts a day`,
        retryAfterMs,
      });
    }
  }

  // Contacts not kept leave the ladder (their notices and any opt-outs stay).
  await deleteContacts(
    trx,
    [...kept.values()].map((p) => p.id),
  );
  const owner = toNotify.length > 0 ? ownerLabel(await ownerName(trx, userId)) : '';
  for (const p of planned) {
    if (p.same) {
      await updateContactPlace(trx, p.same.id, {
        name: p.contact.name,
        position: p.position,
        updated_at: now,
      });
      continue;
    }
    const id = uuidv7();
    const notify = toNotify.includes(p);
    const noticeId = notify ? uuidv7() : null;
    let noticeMailId: string | null = null;
    if (noticeId) {
      await insertNotice(trx, {
        id: noticeId,
        user_id: userId,
        phone_hash: p.hashes.phone,
        email_hash: p.hashes.email,
        created_at: now,
      });
      const url = optOutUrl({ ...keys, linkKey }, noticeId);
      const message = noticeMessage(owner, url);
      if (p.contact.email) {
        noticeMailId = await enqueueMail(
          trx,
          {
            to: p.contact.email,
            subject: message.subject,
            text: message.text,
            headers: {
              // One-click unsubscribe (RFC 8058): mail clients offer it, and it POSTs the link.
              'List-Unsubscribe': `<${url}>`,
              'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
            },
          },
          { now },
        );
      }
      if (p.contact.phone) {
        await queueSms(trx, {
          id: uuidv7(),
          user_id: userId,
          contact_id: id,
          notice_id: noticeId,
          to: normalisePhone(p.contact.phone),
          body: message.smsBody,
          created_at: now,
        });
      }
    }
    await insertContact(trx, {
      id,
      user_id: userId,
      position: p.position,
      name: p.contact.name,
      phone: p.contact.phone ? normalisePhone(p.contact.phone) : '',
      email: p.contact.email.trim(),
      phone_hash: p.hashes.phone,
      email_hash: p.hashes.email,
      state: silenced(p) ? EmergencyContactState.OPTED_OUT : EmergencyContactState.ACTIVE,
      notice_id: noticeId,
      notice_mail_id: noticeMailId,
      created_at: now,
      updated_at: now,
    });
  }
  return listContacts(trx, userId);
}
