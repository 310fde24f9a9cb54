import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, test } from 'vitest';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { ActionReversalReason, ActionType } from '@kith/gen/kith/moderation/v1/types_pb.js';
import {
  EscalationTarget,
  HelpType,
  ResponderState,
  Severity,
} from '@kith/gen/kith/support/v1/types_pb.js';
import type { EventPayload } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
// By path: the support package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import { loadContactsConfig } from '../contacts/contacts-config.js';
import { runLadders } from '../incidents/escalation.js';
import { authDeps, startSupportHarness } from '../testing/support-harness.js';
import type { Person, SupportHarness } from '../testing/support-harness.js';

// Platform moderation's enforcement on incidents as support applies it: while a moderator hides
// or removes an incident, the owner's text (message, notes) is withheld from the responders and
// nobody else; the incident, its alerts and ladder go on unchanged. By the subject's version.

let s: SupportHarness;
/** An incident whose moderation version tells when support handled every earlier event. */
const marker = { incidentId: '', version: 0n };
beforeAll(async () => {
  s = await startSupportHarness(authDeps(startAuthHarness, (h) => seedUser(h), startSession));
  const owner = await s.person();
  const helper = await s.person();
  const circleId = await s.circle([owner, helper], { responders: [helper] });
  const { incident } = await owner.support.createHelpRequest({
    circleIds: [circleId],
    type: HelpType.NEED_A_HAND,
    severity: Severity.INFO,
    message: 'marker',
  });
  marker.incidentId = incident!.incidentId;
});
afterAll(() => s?.stop());

const MINUTE = 60_000;
const location = { point: { latitude: 38.7223, longitude: -9.1393 }, accuracyMeters: 12 };
/** A media id the harness's post stand-in holds (it ends in 1). */
const heldMedia = () => `${crypto.randomUUID().slice(0, -1)}1`;

const incidentSubject = (incidentId: string) => ({
  kind: { case: 'incidentId' as const, value: incidentId },
});

const actioned = (
  incidentId: string,
  version: bigint,
  enforcement: { hidden?: boolean; removed?: boolean },
  subject: { kind: { case: 'incidentId' | 'postId'; value: string } } = incidentSubject(incidentId),
): EventPayload => ({
  case: 'moderationContentActioned',
  value: {
    actionId: crypto.randomUUID(),
    subject,
    actionType: enforcement.removed ? ActionType.REMOVE_CONTENT : ActionType.HIDE_CONTENT,
    userId: crypto.randomUUID(),
    version,
    enforcement,
  },
});

const reversed = (incidentId: string, version: bigint): EventPayload => ({
  case: 'moderationActionReversed',
  value: {
    actionId: crypto.randomUUID(),
    subject: incidentSubject(incidentId),
    actionType: ActionType.HIDE_CONTENT,
    userId: crypto.randomUUID(),
    reason: ActionReversalReason.APPEAL_OVERTURNED,
    version,
    enforcement: {},
  },
});

/** Publishes a moderation event and waits until support has handled everything before it. */
async function moderate(payload: EventPayload): Promise<void> {
  await s.publishAs('moderation', payload);
  marker.version += 1n;
  const version = marker.version;
  await s.publishAs('moderation', actioned(marker.incidentId, version, {}));
  await waitFor(
    async () => {
      const row = await s.app.database.db
        .selectFrom('incidents')
        .select('moderation_version')
        .where('id', '=', marker.incidentId)
        .executeTakeFirst();
      return row?.moderation_version === version.toString();
    },
    { timeoutMs: 10_000, what: 'support handled the moderation events' },
  );
}

const message = async (viewer: Person, incidentId: string) =>
  (await viewer.support.getIncident({ incidentId })).incident!.message;

/** The notes of an incident's timeline as `viewer` reads them: author, text and media. */
async function notes(viewer: Person, incidentId: string) {
  const { entries } = await viewer.support.getIncidentTimeline({ incidentId });
  return entries.flatMap((e) =>
    e.event.case === 'note'
      ? [{ by: e.actorUserId, text: e.event.value.text, media: e.event.value.mediaIds }]
      : [],
  );
}

test("a hidden SOS reaches its responders without the owner's message and notes, the owner keeps them, the ladder goes on; a reversal restores them and an older replay does nothing", async () => {
  const owner = await s.person();
  const primary = await s.person();
  const member = await s.person();
  const circleId = await s.circle([owner, primary, member], { primary: [primary] });
  const { incident } = await owner.support.raiseSos({
    circleIds: [circleId],
    message: 'he is outside again',
  });
  const id = incident!.incidentId;
  const photo = heldMedia();
  await owner.support.addIncidentNote({
    incidentId: id,
    text: 'behind the shed',
    mediaIds: [photo],
  });
  await primary.support.addIncidentNote({ incidentId: id, text: 'calling you now' });

  await moderate(actioned(id, 1n, { hidden: true }));

  // The responder: the incident, in full but for the owner's words.
  const seen = (await primary.support.getIncident({ incidentId: id })).incident!;
  assert.equal(seen.message, '');
  assert.equal(seen.owner?.userId, owner.userId);
  assert.deepEqual(
    seen.responders.map((r) => r.user?.userId),
    [primary.userId],
  );
  assert.ok(seen.escalation?.nextStepAt, 'the ladder still runs');
  const listed = await primary.support.listIncidents({});
  assert.equal(listed.incidents.find((i) => i.incidentId === id)?.message, '');
  assert.deepEqual(await notes(primary, id), [
    { by: owner.userId, text: '', media: [] },
    { by: primary.userId, text: 'calling you now', media: [] },
  ]);
  // The owner always reads their own.
  assert.equal(await message(owner, id), 'he is outside again');
  assert.deepEqual(await notes(owner, id), [
    { by: owner.userId, text: 'behind the shed', media: [photo] },
    { by: primary.userId, text: 'calling you now', media: [] },
  ]);

  // A note the owner adds meanwhile reaches the responders without its text, in the event too.
  const added = await owner.support.addIncidentNote({ incidentId: id, text: 'he has a knife' });
  assert.equal(
    added.entry?.event.case === 'note' && added.entry.event.value.text,
    'he has a knife',
  );
  const event = (await s.events()).find(
    (e) => e.case === 'supportNoteAdded' && e.value.sequence === added.entry!.sequence,
  );
  assert.equal(event?.case, 'supportNoteAdded');
  assert.equal(event.value.incidentId, id);
  assert.equal(event.value.text, '');
  assert.deepEqual(event.value.recipientUserIds, [primary.userId]);
  assert.deepEqual((await notes(primary, id)).at(-1), { by: owner.userId, text: '', media: [] });

  // Alerts, the ladder, acknowledgements and location sharing go on unchanged.
  await owner.support.shareLocation({ incidentId: id, location });
  await s.advance(2 * MINUTE);
  await runLadders(s.app);
  const escalated = (await member.support.getIncident({ incidentId: id })).incident!;
  assert.equal(escalated.message, '', 'those alerted later are responders too');
  assert.equal(escalated.locationShare?.lastLocation?.point?.latitude, location.point.latitude);
  const ack = await member.support.acknowledge({ incidentId: id });
  assert.equal(ack.responder?.state, ResponderState.ACKNOWLEDGED);
  assert.equal(
    (await owner.support.getIncident({ incidentId: id })).incident!.escalation?.stopped,
    true,
  );

  await moderate(reversed(id, 2n));
  assert.equal(await message(primary, id), 'he is outside again');
  assert.deepEqual(await notes(member, id), [
    { by: owner.userId, text: 'behind the shed', media: [photo] },
    { by: primary.userId, text: 'calling you now', media: [] },
    { by: owner.userId, text: 'he has a knife', media: [] },
  ]);

  // The hide delivered again after its reversal is older than what support holds.
  await moderate(actioned(id, 1n, { hidden: true }));
  assert.equal(await message(primary, id), 'he is outside again', 'the replay changes nothing');
  assert.equal((await notes(primary, id))[0]?.text, 'behind the shed');
});

test('a removed help request withholds the same as a hidden one, until a newer enforcement lifts it', async () => {
  const owner = await s.person();
  const helper = await s.person();
  const circleId = await s.circle([owner, helper], { responders: [helper] });
  const { incident } = await owner.support.createHelpRequest({
    circleIds: [circleId],
    type: HelpType.CALL_ME,
    severity: Severity.HELP,
    message: 'call me please',
  });
  const id = incident!.incidentId;
  await owner.support.addIncidentNote({ incidentId: id, text: 'any time tonight' });

  await moderate(actioned(id, 1n, { removed: true }));
  assert.equal(await message(helper, id), '');
  assert.deepEqual(await notes(helper, id), [{ by: owner.userId, text: '', media: [] }]);
  assert.equal(await message(owner, id), 'call me please');
  assert.deepEqual(await notes(owner, id), [
    { by: owner.userId, text: 'any time tonight', media: [] },
  ]);
  // The responder still acts on it as before.
  await helper.support.claimResponse({ incidentId: id });
  assert.equal(
    (await helper.support.getIncident({ incidentId: id })).incident!.claimedByUserId,
    helper.userId,
  );

  // Both at once, then neither (a newer version that keeps nothing in force).
  await moderate(actioned(id, 2n, { hidden: true, removed: true }));
  assert.equal(await message(helper, id), '');
  await moderate(actioned(id, 3n, {}));
  assert.equal(await message(helper, id), 'call me please');
});

test('moderation of other subjects leaves incidents alone, even a post sharing its id', async () => {
  const owner = await s.person();
  const helper = await s.person();
  const circleId = await s.circle([owner, helper], { responders: [helper] });
  const { incident } = await owner.support.createHelpRequest({
    circleIds: [circleId],
    type: HelpType.NEED_TO_TALK,
    severity: Severity.INFO,
    message: 'rough day',
  });
  const id = incident!.incidentId;
  await moderate(actioned(id, 1n, { hidden: true }, { kind: { case: 'postId', value: id } }));
  await moderate({
    case: 'moderationAccountActioned',
    value: {
      actionId: crypto.randomUUID(),
      userId: owner.userId,
      actionType: ActionType.SUSPEND,
      version: 1n,
      enforcement: { suspended: true },
    },
  });
  assert.equal(await message(helper, id), 'rough day');
  const row = await s.app.database.db
    .selectFrom('incidents')
    .select(['moderation_version', 'moderation_hidden'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  assert.deepEqual(row, { moderation_version: '0', moderation_hidden: false });
});

test("emergency contacts alerted while an SOS is hidden get the alert without the owner's message", async () => {
  const owner = await s.person();
  const primary = await s.person();
  const circleId = await s.circle([owner, primary], { primary: [primary] });
  const current = await owner.support.getEscalationLadder({});
  await owner.support.updateEscalationLadder({
    ladder: {
      steps: [
        { after: durationFromMs(0), target: EscalationTarget.PRIMARY_CONTACTS },
        { after: durationFromMs(5 * MINUTE), target: EscalationTarget.EMERGENCY_CONTACTS },
      ],
      emergencyContacts: [{ name: 'Mum', phone: '+351912345678', email: '' }],
    },
    baseVersion: current.version,
  });
  const { incident } = await owner.support.raiseSos({
    circleIds: [circleId],
    message: 'come to the bridge',
  });
  const id = incident!.incidentId;
  await moderate(actioned(id, 1n, { hidden: true }));
  await s.advance(5 * MINUTE);
  await runLadders(s.app);

  const alerts = await s.app.database.db
    .selectFrom('sms_outbox')
    .select('id')
    .where('user_id', '=', owner.userId)
    .where('notice_id', 'is', null)
    .execute();
  assert.equal(alerts.length, 1, 'the contact is alerted all the same');
  // The relay sends it once committed: the embedded SMS sink writes what the contact receives.
  const file = path.join(loadContactsConfig(s.app.ctx).dataDir, 'sms', `${alerts[0]!.id}.txt`);
  await waitFor(
    async () =>
      fs.access(file).then(
        () => true,
        () => false,
      ),
    { timeoutMs: 10_000, what: 'the alert SMS was sent' },
  );
  const body = await fs.readFile(file, 'utf8');
  assert.match(body, /SOS/);
  assert.doesNotMatch(body, /bridge/);
  assert.doesNotMatch(body, /They wrote/);
});
