import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { withTables } from '@kith/db';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { DataExportPartReady } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import {
  EscalationTarget,
  HelpType,
  IncidentStatus,
  ResponseKind,
  Severity,
} from '@kith/gen/kith/support/v1/types_pb.js';
import type { MailTables } from '@kith/mail';
import { exportBucketDir, filesystemBlobStorage, partObjectKey, sha256Hex } from '@kith/runtime';
import { codeOf, waitFor } from '@kith/testkit';
import { strFromU8, unzipSync } from 'fflate';
// By path: the support package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import { exportFolder } from '../export/exports.js';
import { authDeps, startSupportHarness } from '../testing/support-harness.js';
import type { Person, SupportHarness } from '../testing/support-harness.js';

// Support's part in the user service's data sagas (data_events.proto): user.erased deletes the
// user's own safety record (an incident still open for its responders ends for them first) and
// strips their words and profile from other people's incidents; user.export_requested writes
// the user's part to the export bucket, their incidents as their own reads give them.

let s: SupportHarness;
beforeAll(async () => {
  s = await startSupportHarness(authDeps(startAuthHarness, (h) => seedUser(h), startSession));
});
afterAll(() => s?.stop());

type Payload = Envelope['payload'];

const CANCEL = '2468';
const DURESS = '1357';
const location = { point: { latitude: 38.7223, longitude: -9.1393 }, accuracyMeters: 12 };

/** The events recorded after `before` events, once `done` is among them. */
async function eventsUntil(before: number, done: (p: Payload) => boolean): Promise<Payload[]> {
  let found: Payload[] = [];
  await waitFor(
    async () => {
      found = (await s.events()).slice(before);
      return found.some(done);
    },
    { timeoutMs: 15_000, intervalMs: 50, what: 'the consumer to finish' },
  );
  return found;
}

/** Publishes user.erased for `userId`; the events support recorded while handling it. */
async function erase(userId: string): Promise<Payload[]> {
  const before = (await s.events()).length;
  await s.publishAs('user', { case: 'userErased', value: { userId } });
  // The harness publishes through support's outbox: user.erased itself is not support's.
  return (
    await eventsUntil(before, (p) => p.case === 'dataErasureCompleted' && p.value.userId === userId)
  ).filter((p) => p.case !== 'userErased');
}

/** Every row of the support schema that belongs to `userId`, by table. */
async function rowsOf(userId: string): Promise<Record<string, number>> {
  const db = s.app.database.db;
  const count = async (query: { execute(): Promise<unknown[]> }) => (await query.execute()).length;
  return {
    incidents: await count(db.selectFrom('incidents').select('id').where('owner_id', '=', userId)),
    incident_exports: await count(
      db.selectFrom('incident_exports').select('id').where('owner_id', '=', userId),
    ),
    check_ins: await count(db.selectFrom('check_ins').select('id').where('user_id', '=', userId)),
    safety_pins: await count(
      db.selectFrom('safety_pins').select('user_id').where('user_id', '=', userId),
    ),
    ladders: await count(db.selectFrom('ladders').select('user_id').where('user_id', '=', userId)),
    emergency_contacts: await count(
      db.selectFrom('emergency_contacts').select('id').where('user_id', '=', userId),
    ),
    contact_notices: await count(
      db.selectFrom('contact_notices').select('id').where('user_id', '=', userId),
    ),
    contact_opt_outs: await count(
      db.selectFrom('contact_opt_outs').select('user_id').where('user_id', '=', userId),
    ),
    sms_outbox: await count(db.selectFrom('sms_outbox').select('id').where('user_id', '=', userId)),
    circle_members: await count(
      db.selectFrom('circle_members').select('user_id').where('user_id', '=', userId),
    ),
    users: await count(db.selectFrom('users').select('user_id').where('user_id', '=', userId)),
  };
}

const NOTHING = {
  incidents: 0,
  incident_exports: 0,
  check_ins: 0,
  safety_pins: 0,
  ladders: 0,
  emergency_contacts: 0,
  contact_notices: 0,
  contact_opt_outs: 0,
  sms_outbox: 0,
  circle_members: 0,
  users: 0,
};

/** Queued e-mails to `address`. */
async function mailTo(address: string): Promise<number> {
  const rows = await withTables<MailTables>(s.app.database.db)
    .selectFrom('mail_outbox')
    .select('id')
    .where('to', '=', address)
    .execute();
  return rows.length;
}

/** A ladder that reaches the primary contacts at once and these emergency contacts later. */
async function setContacts(
  person: Person,
  contacts: { name: string; phone?: string; email?: string }[],
) {
  const current = await person.support.getEscalationLadder({});
  await person.support.updateEscalationLadder({
    ladder: {
      steps: [
        { after: durationFromMs(0), target: EscalationTarget.PRIMARY_CONTACTS },
        { after: durationFromMs(5 * 60_000), target: EscalationTarget.EMERGENCY_CONTACTS },
      ],
      emergencyContacts: contacts.map((c) => ({
        name: c.name,
        phone: c.phone ?? '',
        email: c.email ?? '',
      })),
    },
    baseVersion: current.version,
  });
}

test("an erased user's own safety record goes whole; their SOS still open ends for its responders first", async () => {
  const owner = await s.person();
  const primary = await s.person();
  const member = await s.person();
  const circleId = await s.circle([owner, primary, member], { primary: [primary] });
  await owner.support.setSafetyPins({ cancelPin: CANCEL, duressPin: DURESS });
  const email = `contact-${crypto.randomUUID()}@example.com`;
  await setContacts(owner, [{ name: 'Mum', phone: '+351912345678', email }]);
  const { incident: help } = await owner.support.createHelpRequest({
    circleIds: [circleId],
    type: HelpType.COME_GET_ME,
    severity: Severity.HELP,
    message: 'ride home?',
  });
  await owner.support.resolve({ incidentId: help!.incidentId, kind: 1, reason: 'sorted' });
  const { incident: sos } = await owner.support.raiseSos({
    circleIds: [circleId],
    message: 'followed',
    location,
  });
  await primary.support.acknowledge({ incidentId: sos!.incidentId });
  await owner.support.startCheckIn({
    deadline: { case: 'duration', value: durationFromMs(30 * 60_000) },
    circleIds: [circleId],
    destination: 'home',
  });
  // An incident export waiting for its download, its file in the bucket.
  const bucket = filesystemBlobStorage(exportBucketDir(s.app.ctx));
  const exportId = crypto.randomUUID();
  const objectKey = `${exportFolder(exportId)}incident-${sos!.incidentId}.json`;
  await bucket.put(objectKey, new TextEncoder().encode('{}'));
  await s.app.database.db
    .insertInto('incident_exports')
    .values({
      id: exportId,
      incident_id: sos!.incidentId,
      owner_id: owner.userId,
      object_key: objectKey,
      content_type: 'application/json',
      file_name: 'kith-incident.json',
      sha256: sha256Hex(new TextEncoder().encode('{}')),
      size_bytes: 2,
      created_at: new Date(),
      expires_at: new Date(Date.now() + 60_000),
      used_at: null,
    })
    .execute();
  const before = await rowsOf(owner.userId);
  for (const table of [
    'incident_exports',
    'incidents',
    'check_ins',
    'safety_pins',
    'ladders',
    'emergency_contacts',
    'contact_notices',
    'sms_outbox',
    'circle_members',
    'users',
  ]) {
    assert.ok(before[table]! > 0, `${table} holds the owner before the erasure`);
  }
  assert.ok((await mailTo(email)) > 0, "the contact's notice e-mail is queued");

  const events = await erase(owner.userId);

  assert.deepEqual(await rowsOf(owner.userId), NOTHING);
  assert.equal(await mailTo(email), 0);
  assert.equal(await bucket.get(objectKey), undefined, 'the export file is gone');
  const ended = events.filter((p) => p.case === 'supportResolved');
  assert.equal(ended.length, 1, 'only the incident still open ends');
  const [end] = ended;
  assert.ok(end?.case === 'supportResolved');
  assert.equal(end.value.incidentId, sos!.incidentId);
  assert.equal(end.value.status, IncidentStatus.CANCELLED);
  assert.equal(end.value.resolvedByUserId, '');
  assert.equal(end.value.silent, false);
  assert.equal(end.value.version, sos!.version + 2n, 'after the acknowledgement');
  assert.deepEqual([...end.value.recipientUserIds].sort(), [primary.userId].sort());
  // The responders' copy went with it; nothing in the responders' or timeline tables is left.
  assert.equal(
    await codeOf(primary.support.getIncident({ incidentId: sos!.incidentId })),
    Code.NotFound,
  );
  const orphans = await s.app.database.db
    .selectFrom('timeline')
    .select('incident_id')
    .where('incident_id', 'in', [sos!.incidentId, help!.incidentId])
    .execute();
  assert.deepEqual(orphans, []);
  const acknowledged = events.filter((p) => p.case === 'dataErasureCompleted');
  assert.deepEqual(
    acknowledged.map((p) => [p.value.userId, p.value.service]),
    [[owner.userId, KithService.SUPPORT]],
  );
});

test("in someone else's incidents an erased responder stays under a bare id: their profile and words go, a claim on an open one is released", async () => {
  const owner = await s.person();
  const helper = await s.person();
  const other = await s.person();
  const circleId = await s.circle([owner, helper, other], {
    primary: [helper, other],
    responders: [helper, other],
  });
  await owner.support.setSafetyPins({ cancelPin: CANCEL, duressPin: DURESS });
  // An SOS the owner cancelled: their view of it is frozen with the helper's profile in it.
  const { incident: sos } = await owner.support.raiseSos({ circleIds: [circleId], location });
  const sosId = sos!.incidentId;
  await helper.support.respond({
    incidentId: sosId,
    kind: ResponseKind.ON_MY_WAY,
    eta: durationFromMs(10 * 60_000),
    note: 'leaving now, stay on the main road',
  });
  await helper.support.addIncidentNote({ incidentId: sosId, text: 'I called her brother' });
  await other.support.addIncidentNote({ incidentId: sosId, text: 'on my way too' });
  await owner.support.cancelSos({ incidentId: sosId, pin: CANCEL });
  // A help request still open, claimed by the helper.
  const { incident: help } = await owner.support.createHelpRequest({
    circleIds: [circleId],
    type: HelpType.COME_GET_ME,
    severity: Severity.HELP,
    message: 'ride home?',
  });
  const helpId = help!.incidentId;
  await helper.support.claimResponse({ incidentId: helpId });
  const frozenBefore = await owner.support.listResponders({ incidentId: sosId });
  assert.ok(frozenBefore.responders.some((r) => r.user?.username === helper.username));

  await erase(helper.userId);

  const surfaces = JSON.stringify(
    [
      await owner.support.getIncident({ incidentId: sosId }),
      await owner.support.listResponders({ incidentId: sosId }),
      await owner.support.getIncidentTimeline({ incidentId: sosId }),
      await other.support.getIncident({ incidentId: sosId }),
      await other.support.listResponders({ incidentId: sosId }),
      await other.support.getIncidentTimeline({ incidentId: sosId }),
      await owner.support.getIncident({ incidentId: helpId }),
    ],
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
  );
  for (const gone of [helper.username, 'leaving now', 'I called her brother']) {
    assert.ok(!surfaces.includes(gone), `${gone} is still in someone else's incident`);
  }
  // The record stays coherent: the helper is still listed, by id alone, with their state.
  const { responders } = await owner.support.listResponders({ incidentId: sosId });
  const kept = responders.find((r) => r.user?.userId === helper.userId);
  assert.ok(kept, 'the responder stays in the owner frozen list');
  assert.equal(kept.user?.username, '');
  assert.equal(kept.latestResponse?.kind, ResponseKind.ON_MY_WAY);
  assert.equal(kept.latestResponse?.note, '');
  const { entries } = await other.support.getIncidentTimeline({ incidentId: sosId });
  const notes = entries.filter((e) => e.event.case === 'note');
  assert.deepEqual(
    notes.map((e) => [e.actorUserId, e.event.case === 'note' ? e.event.value.text : null]),
    [
      [helper.userId, ''],
      [other.userId, 'on my way too'],
    ],
  );
  // The sequence stays dense: nothing was removed from the timeline.
  assert.deepEqual(
    entries.map((e) => e.sequence),
    entries.map((_e, i) => BigInt(i + 1)),
  );
  // Another responder can now take the open request.
  const { incident: claimed } = await other.support.claimResponse({ incidentId: helpId });
  assert.equal(claimed?.claimedByUserId, other.userId);
});

test('a redelivered user.erased changes nothing more and acknowledges again', async () => {
  const owner = await s.person();
  const helper = await s.person();
  const circleId = await s.circle([owner, helper], { primary: [helper] });
  const { incident } = await owner.support.raiseSos({ circleIds: [circleId], location });
  await helper.support.respond({
    incidentId: incident!.incidentId,
    kind: ResponseKind.CANT_HELP,
    note: 'abroad',
  });
  await erase(helper.userId);
  const read = async () =>
    JSON.stringify(
      [
        await owner.support.getIncident({ incidentId: incident!.incidentId }),
        await owner.support.getIncidentTimeline({ incidentId: incident!.incidentId }),
      ],
      (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
    );
  const once = await read();

  const again = await erase(helper.userId);

  assert.equal(await read(), once);
  assert.deepEqual(
    again.map((p) => p.case),
    ['dataErasureCompleted'],
  );
  const twice = await erase(owner.userId);
  assert.deepEqual(
    twice.map((p) => p.case),
    ['supportResolved', 'dataErasureCompleted'],
  );
  assert.deepEqual(
    (await erase(owner.userId)).map((p) => p.case),
    ['dataErasureCompleted'],
  );
});

/** Publishes user.export_requested; support's part once announced, and its files. */
async function exportOf(userId: string) {
  const dataExportId = crypto.randomUUID();
  const before = (await s.events()).length;
  await s.publishAs('user', { case: 'userExportRequested', value: { userId, dataExportId } });
  const events = await eventsUntil(
    before,
    (p) => p.case === 'dataExportPartReady' && p.value.dataExportId === dataExportId,
  );
  const part = events.find((p) => p.case === 'dataExportPartReady')!.value as DataExportPartReady;
  const bucket = filesystemBlobStorage(exportBucketDir(s.app.ctx));
  const zip = await bucket.get(part.objectKey);
  assert.ok(zip, 'the part is in the export bucket');
  assert.equal(part.objectKey, partObjectKey(dataExportId, KithService.SUPPORT));
  assert.equal(part.sha256, sha256Hex(zip));
  assert.equal(part.sizeBytes, BigInt(zip.length));
  assert.equal(part.userId, userId);
  assert.equal(part.service, KithService.SUPPORT);
  const files = unzipSync(zip);
  const json = (name: string) => JSON.parse(strFromU8(files[`${name}.json`]!)) as unknown;
  return {
    files,
    json,
    text: Object.values(files)
      .map((f) => strFromU8(f))
      .join('\n'),
  };
}

/** An owner with PINs, contacts and a circle (a primary contact, a member), SOS raised. */
async function raised() {
  const owner = await s.person();
  const primary = await s.person();
  const member = await s.person();
  const circleId = await s.circle([owner, primary, member], { primary: [primary] });
  await owner.support.setSafetyPins({ cancelPin: CANCEL, duressPin: DURESS });
  const { incident } = await owner.support.raiseSos({
    circleIds: [circleId],
    message: 'followed',
    location,
  });
  return { owner, primary, member, circleId, incidentId: incident!.incidentId };
}

test("support's export part holds the user's incidents as they read them (a duress cancel exports as a real one), their responses, check-ins, PIN status, ladder and contacts", async () => {
  const real = await raised();
  const duress = await raised();
  await real.owner.support.cancelSos({ incidentId: real.incidentId, pin: CANCEL });
  await duress.owner.support.cancelSos({ incidentId: duress.incidentId, pin: DURESS });
  // After the duress cancel the truth goes on: a note and an acknowledgement the owner never sees.
  await duress.primary.support.acknowledge({ incidentId: duress.incidentId });
  await duress.primary.support.addIncidentNote({
    incidentId: duress.incidentId,
    text: 'police called',
  });

  const normalise = (text: string, w: Awaited<ReturnType<typeof raised>>) => {
    let out = text.replaceAll(w.incidentId, 'INCIDENT').replaceAll(w.circleId, 'CIRCLE');
    [w.owner, w.primary, w.member].forEach((p, i) => {
      out = out.replaceAll(p.userId, `USER${i}`).replaceAll(p.username, `NAME${i}`);
    });
    return out;
  };
  const realPart = await exportOf(real.owner.userId);
  const duressPart = await exportOf(duress.owner.userId);
  const incidentsOf = (part: typeof realPart) => JSON.stringify(part.json('incidents'));
  assert.equal(normalise(incidentsOf(duressPart), duress), normalise(incidentsOf(realPart), real));
  const [exported] = duressPart.json('incidents') as {
    incident: Record<string, unknown>;
    timeline: Record<string, unknown>[];
  }[];
  assert.equal(exported!.incident.status, 'INCIDENT_STATUS_CANCELLED');
  assert.ok(!('duressCancelledAt' in exported!.incident));
  assert.ok(exported!.timeline.some((e) => 'cancelled' in e));
  assert.ok(!incidentsOf(duressPart).includes('duress'), 'the export tells a duress cancel apart');
  assert.ok(!duressPart.text.includes('police called'));
  const pins = duressPart.json('safety_pins') as Record<string, unknown>;
  assert.deepEqual([pins.cancel_pin_set, pins.duress_pin_set], [true, true]);
  const hashes = await s.app.database.db
    .selectFrom('safety_pins')
    .select(['cancel_hash', 'duress_hash'])
    .where('user_id', '=', duress.owner.userId)
    .executeTakeFirstOrThrow();
  for (const hash of [hashes.cancel_hash!, hashes.duress_hash!, CANCEL, DURESS]) {
    assert.ok(!duressPart.text.includes(hash), 'a PIN or its hash is in the export');
  }

  // The responder's side: their own state, response and notes; not whose incident it was.
  const { owner, primary, incidentId } = real;
  const help = await s.person();
  const circleId = await s.circle([help, primary], { primary: [primary], responders: [primary] });
  const { incident: request } = await help.support.createHelpRequest({
    circleIds: [circleId],
    type: HelpType.COME_GET_ME,
    severity: Severity.HELP,
    message: 'need a lift to the clinic',
  });
  await primary.support.respond({
    incidentId: request!.incidentId,
    kind: ResponseKind.ON_MY_WAY,
    eta: durationFromMs(15 * 60_000),
    note: 'be there in 15',
  });
  await primary.support.addIncidentNote({ incidentId: request!.incidentId, text: 'parked' });
  await primary.support.claimResponse({ incidentId: request!.incidentId });
  await setContacts(primary, [{ name: 'Dad', phone: '+351912345670' }]);
  await primary.support.startCheckIn({
    deadline: { case: 'duration', value: durationFromMs(60 * 60_000) },
    circleIds: [circleId],
    destination: 'the clinic',
    checkInWord: 'heron',
  });
  await help.support.requestCheckIn({ userId: primary.userId, circleId, message: 'ok?' });

  const mine = await exportOf(primary.userId);
  assert.deepEqual(Object.keys(mine.files).sort(), [
    'alerts.json',
    'check_ins.json',
    'check_ins_requested.json',
    'emergency_contacts.json',
    'escalation_ladder.json',
    'incidents.json',
    'safety_pins.json',
  ]);
  assert.deepEqual(mine.json('incidents'), []);
  const alerts = mine.json('alerts') as Record<string, unknown>[];
  assert.deepEqual(
    alerts.map((a) => [a.incident_id, a.kind, a.state]),
    [
      [incidentId, 'sos', 'notified'],
      [request!.incidentId, 'help_request', 'responded'],
    ],
  );
  const answered = alerts[1]!;
  assert.deepEqual(answered.response, {
    kind: 'on_my_way',
    eta_ms: 15 * 60_000,
    note: 'be there in 15',
    responded_at: (answered.response as { responded_at: string }).responded_at,
  });
  assert.equal(answered.claimed, true);
  assert.deepEqual(
    (answered.notes as { text: string }[]).map((n) => n.text),
    ['parked'],
  );
  const checkIns = mine.json('check_ins') as Record<string, unknown>[];
  assert.deepEqual(
    checkIns.map((c) => [c.destination, c.status, c.word_set, c.requested_by]).sort(),
    [
      ['', 'active', false, 'another_member'],
      ['the clinic', 'active', true, 'self'],
    ],
  );
  assert.ok(!mine.text.includes('heron'));
  assert.deepEqual(
    (mine.json('check_ins_requested') as unknown[]).length,
    0,
    'the primary asked nobody',
  );
  const ladder = mine.json('escalation_ladder') as { custom: boolean; steps: unknown[] };
  assert.equal(ladder.custom, true);
  assert.deepEqual(ladder.steps, [
    { after_ms: 0, target: 'primary_contacts' },
    { after_ms: 300_000, target: 'emergency_contacts' },
  ]);
  const contacts = mine.json('emergency_contacts') as Record<string, unknown>[];
  assert.deepEqual(
    contacts.map((c) => [c.name, c.phone, c.email, c.state]),
    [['Dad', '+351912345670', '', 'active']],
  );
  // Whose incidents they were and what the owners wrote are not the responder's.
  for (const foreign of [
    owner.userId,
    owner.username,
    help.userId,
    help.username,
    'followed',
    'need a lift to the clinic',
  ]) {
    assert.ok(!mine.text.includes(foreign), `${foreign} is in the responder's export`);
  }
  const asker = await exportOf(help.userId);
  assert.deepEqual(
    (asker.json('check_ins_requested') as Record<string, unknown>[]).map((c) => c.status),
    ['active'],
  );
});

test('a user support does not know gets an empty part, announced all the same', async () => {
  const { json } = await exportOf(crypto.randomUUID());
  for (const category of [
    'incidents',
    'alerts',
    'check_ins',
    'check_ins_requested',
    'emergency_contacts',
  ]) {
    assert.deepEqual(json(category), [], category);
  }
  assert.deepEqual(json('safety_pins'), {
    cancel_pin_set: false,
    duress_pin_set: false,
    updated_at: null,
  });
  assert.equal((json('escalation_ladder') as { custom: boolean }).custom, false);
});
