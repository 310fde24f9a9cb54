import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import {
  EmergencyContactState,
  EmergencyKind,
  EscalationTarget,
  IncidentKind,
} from '@kith/gen/kith/support/v1/types_pb.js';
// By path: the support package does not depend on the auth service; its harness issues tokens.
import {
  rejectsWith,
  seedUser,
  startAuthHarness,
  startSession,
} from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import { alertEmergencyContacts, hasAlertableContacts } from './alert.js';
import type { ContactAlert } from './alert.js';
import {
  TWILIO_FROM,
  TWILIO_SID,
  TWILIO_TOKEN,
  contactsTestModule,
  projectProfile,
  smsRows,
  startFakeTwilio,
  twilioEnv,
} from './testing/contacts-harness.js';
import type { FakeTwilio } from './testing/contacts-harness.js';

const HOUR = 3600_000;
const LADDER_STEPS = [{ after: durationFromMs(0), target: EscalationTarget.EMERGENCY_CONTACTS }];

let h: AuthHarness;
let twilio: FakeTwilio;
const support = contactsTestModule();
beforeAll(async () => {
  twilio = await startFakeTwilio();
  h = await startAuthHarness({ modules: [support.module], env: twilioEnv(twilio) });
});
afterAll(async () => {
  await h?.stop();
  await twilio?.stop();
});

const client = (user: TestUser) => createClient(SupportService, h.as(user.accessToken).transport);
const phone = () => `+1555${crypto.randomInt(1_000_000, 9_999_999)}`;
const email = () => `contact-${crypto.randomBytes(4).toString('hex')}@example.org`;
const smsTo = (to: string) => twilio.requests.filter((r) => r.form.To === to);
const mailsTo = (to: string) => support.mails.filter((m) => m.to === to);

/** A signed-in user whose profile support has projected (the name contacts are told). */
async function user(): Promise<TestUser> {
  const u = await seedUser(h);
  await projectProfile(support.app(), {
    userId: u.userId,
    username: u.username,
    displayName: 'Ana Lima',
  });
  return u;
}

async function setContacts(
  u: TestUser,
  contacts: { name: string; phone?: string; email?: string }[],
) {
  const current = await client(u).getEscalationLadder({});
  return client(u).updateEscalationLadder({
    ladder: {
      steps: LADDER_STEPS,
      emergencyContacts: contacts.map((c) => ({
        name: c.name,
        phone: c.phone ?? '',
        email: c.email ?? '',
      })),
    },
    baseVersion: current.version,
  });
}

async function states(u: TestUser) {
  const read = await client(u).getEscalationLadder({});
  return read.ladder!.emergencyContacts.map((c) => c.state);
}

function alertOf(u: TestUser, extra: Partial<ContactAlert> = {}): ContactAlert {
  return {
    incidentId: crypto.randomUUID(),
    ownerId: u.userId,
    kind: IncidentKind.SOS,
    message: 'car broke down',
    emergencyKind: EmergencyKind.UNSPECIFIED,
    duress: false,
    ...extra,
  };
}

const alert = (a: ContactAlert) =>
  support.app().database.transaction((trx) => alertEmergencyContacts(support.app(), trx, a));

function linkIn(text: string): URL {
  const match = /https?:\/\/\S+\/support\/contacts\/opt-out\?token=\S+/.exec(text);
  assert.ok(match, 'the message carries an opt-out link');
  return new URL(match[0]);
}

/** The opt-out page of `link`, on the test process (links name the configured origin). */
const optOutAt = (link: URL, method: 'GET' | 'POST') =>
  fetch(`${h.url}${link.pathname}${link.search}`, { method });

test('a new contact gets one notice naming the user, by SMS and e-mail, with an opt-out link; an unchanged one none', async () => {
  const u = await user();
  const number = phone();
  const address = email();
  const res = await setContacts(u, [{ name: 'Mum', phone: number, email: address }]);
  assert.deepEqual(
    res.ladder!.emergencyContacts.map((c) => [c.name, c.phone, c.email, c.state]),
    [['Mum', number, address, EmergencyContactState.ACTIVE]],
  );
  await support.drain();

  const [sms, ...moreSms] = smsTo(number);
  assert.ok(sms);
  assert.equal(moreSms.length, 0);
  assert.equal(sms.path, `/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
  assert.equal(
    sms.authorization,
    `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64')}`,
  );
  assert.equal(sms.contentType, 'application/x-www-form-urlencoded');
  assert.equal(sms.form.From, TWILIO_FROM);
  assert.match(sms.form.Body ?? '', /Ana Lima \(@user\w+\) added you as an emergency contact/);
  linkIn(sms.form.Body ?? '');

  const [mail, ...moreMail] = mailsTo(address);
  assert.ok(mail);
  assert.equal(moreMail.length, 0);
  assert.match(mail.subject, /^Ana Lima \(@user\w+\) added you as an emergency contact on Kith$/);
  const link = linkIn(mail.text);
  assert.equal(mail.headers?.['List-Unsubscribe'], `<${link.toString()}>`);
  assert.equal(mail.headers?.['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');

  // Renamed and joined by nobody new: no notice, same state.
  await setContacts(u, [{ name: 'Mother', phone: number, email: address }]);
  await support.drain();
  assert.equal(smsTo(number).length, 1);
  assert.equal(mailsTo(address).length, 1);
  assert.deepEqual(await states(u), [EmergencyContactState.ACTIVE]);
});

test('the opt-out link is honoured by alerts, also after the contact is removed and added again', async () => {
  const u = await user();
  const number = phone();
  await setContacts(u, [{ name: 'Dad', phone: number }]);
  await support.drain();
  const link = linkIn(smsTo(number)[0]?.form.Body ?? '');
  assert.equal(await hasAlertableContacts(support.app().database.db, u.userId), true);

  // GET only shows the button: link previews must not opt anyone out.
  const page = await optOutAt(link, 'GET');
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<form method="post"/);
  assert.deepEqual(await states(u), [EmergencyContactState.ACTIVE]);

  for (let i = 0; i < 2; i++) {
    const done = await optOutAt(link, 'POST');
    assert.equal(done.status, 200, 'opting out again is fine');
  }
  assert.deepEqual(await states(u), [EmergencyContactState.OPTED_OUT]);
  assert.equal(await alert(alertOf(u)), 0);
  assert.equal(await hasAlertableContacts(support.app().database.db, u.userId), false);

  await setContacts(u, []);
  await setContacts(u, [{ name: 'Dad again', phone: number }]);
  await support.drain();
  assert.deepEqual(await states(u), [EmergencyContactState.OPTED_OUT]);
  assert.equal(await alert(alertOf(u)), 0);
  await support.drain();
  assert.equal(smsTo(number).length, 1, 'only the first notice ever reached them');
});

test('a forged, altered or malformed opt-out token answers 404 with the same page', async () => {
  const u = await user();
  const number = phone();
  await setContacts(u, [{ name: 'Sis', phone: number }]);
  await support.drain();
  const link = linkIn(smsTo(number)[0]?.form.Body ?? '');
  const token = link.searchParams.get('token') ?? '';
  const [noticeId] = token.split('.');
  const forged = [
    `${noticeId}.${'A'.repeat(43)}`,
    `${crypto.randomUUID()}.${token.split('.')[1]}`,
    'not-a-token',
    '',
  ];
  const bodies = new Set<string>();
  for (const bad of forged) {
    for (const method of ['GET', 'POST'] as const) {
      const res = await fetch(
        `${h.url}/support/contacts/opt-out?token=${encodeURIComponent(bad)}`,
        { method },
      );
      assert.equal(res.status, 404, `${method} ${bad}`);
      bodies.add(await res.text());
    }
  }
  assert.equal(bodies.size, 1);
  assert.deepEqual(await states(u), [EmergencyContactState.ACTIVE]);
});

test('a number the provider refuses makes the contact UNREACHABLE; alerts still try it', async () => {
  const u = await user();
  const bad = phone();
  const good = phone();
  twilio.invalidNumbers.add(bad);
  await setContacts(u, [
    { name: 'Typo', phone: bad },
    { name: 'Friend', phone: good },
  ]);
  await support.drain();
  assert.equal(smsTo(bad).length, 1, 'a permanent failure is not retried');
  assert.deepEqual(await states(u), [
    EmergencyContactState.UNREACHABLE,
    EmergencyContactState.ACTIVE,
  ]);
  const [row] = (await smsRows(support.app(), u.userId)).filter((r) => r.to === bad);
  assert.equal(row?.last_error, 'SMS provider answered 400 code 21211');
  assert.equal(row?.body, '', 'an abandoned body is forgotten');
  assert.equal(await alert(alertOf(u)), 2);
});

test('an e-mail notice the mail relay gives up on makes the contact UNREACHABLE', async () => {
  const u = await user();
  const address = email();
  support.refusedAddresses.add(address);
  await setContacts(u, [{ name: 'Old address', email: address }]);
  await support.drain();
  assert.deepEqual(await states(u), [EmergencyContactState.UNREACHABLE]);
});

test('a provider outage is retried with backoff, then delivered', async () => {
  const u = await user();
  const number = phone();
  twilio.down = true;
  try {
    await setContacts(u, [{ name: 'Neighbour', phone: number }]);
    await support.drain();
    assert.equal(smsTo(number).length, 1);
    const [row] = await smsRows(support.app(), u.userId);
    assert.equal(row?.attempts, 1);
    assert.equal(row?.sent_at, null);
    // Not due again before the backoff.
    await support.drain();
    assert.equal(smsTo(number).length, 1);
  } finally {
    twilio.down = false;
  }
  h.clock.advance(10_000);
  await support.drain();
  assert.equal(smsTo(number).length, 2);
  const [row] = await smsRows(support.app(), u.userId);
  assert.ok(row?.sent_at);
  assert.match(row?.provider_id ?? '', /^SM/);
  assert.deepEqual(await states(u), [EmergencyContactState.ACTIVE]);
});

test('alerts go by SMS and e-mail without location; after a duress cancel they say not to call', async () => {
  const u = await user();
  const number = phone();
  const address = email();
  await setContacts(u, [{ name: 'Partner', phone: number, email: address }]);
  await support.drain();
  assert.equal(
    await alert(alertOf(u, { emergencyKind: EmergencyKind.MEDICAL, message: 'fell' })),
    1,
  );
  await support.drain();
  const sos = smsTo(number)[1]?.form.Body ?? '';
  assert.match(sos, /^Kith SOS: Ana Lima \(@user\w+\) raised an SOS on Kith \(medical emergency\)/);
  assert.match(sos, /They wrote: "fell"/);
  assert.doesNotMatch(sos, /https?:|maps|lat|°/i);
  const sosMail = mailsTo(address)[1];
  assert.match(sosMail?.subject ?? '', /^Kith SOS: Ana Lima \(@user\w+\) needs help$/);

  assert.equal(await alert(alertOf(u, { duress: true })), 1);
  await support.drain();
  const duress = smsTo(number)[2]?.form.Body ?? '';
  assert.match(duress, /may be under coercion\. Do NOT call or message their phone/);
  assert.doesNotMatch(duress, /car broke down/, 'nothing the owner wrote');
  assert.match(mailsTo(address)[2]?.text ?? '', /Do NOT call or message their phone/);
});

test('at most five new contacts a day: a sixth answers ResourceExhausted until a day has passed', async () => {
  const u = await user();
  const five = Array.from({ length: 5 }, (_, i) => ({ name: `C${i}`, phone: phone() }));
  await setContacts(u, five);
  const sixth = { name: 'C5', phone: phone() };
  const err = await rejectsWith(setContacts(u, [...five.slice(1), sixth]), Code.ResourceExhausted);
  assert.match(err.rawMessage, /at most 5 new emergency contacts a day/);
  const read = await client(u).getEscalationLadder({});
  assert.equal(read.version, 1, 'nothing changed');
  // Removing and keeping contacts is never limited.
  await setContacts(u, five.slice(0, 2));
  h.clock.advance(24 * HOUR + 1000);
  const signedInAgain = { ...u, ...(await startSession(h, u)) };
  const later = await setContacts(signedInAgain, [...five.slice(0, 2), sixth]);
  assert.equal(later.ladder!.emergencyContacts.length, 3);
});

test('a number or address on two contacts answers InvalidArgument', async () => {
  const u = await user();
  const number = phone();
  await rejectsWith(
    setContacts(u, [
      { name: 'A', phone: number },
      { name: 'B', phone: number },
    ]),
    Code.InvalidArgument,
  );
});
