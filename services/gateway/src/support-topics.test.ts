import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { TestContext } from 'vitest';
import { create, fromBinary, toBinary, toJsonString } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createMemoryTopicLog, encodeEvent } from '@kith/bus';
import type { EnvelopeInit } from '@kith/bus';
import type { Principal } from '@kith/context';
import { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import type { Delivery } from '@kith/gen/kith/support/v1/internal_pb.js';
import {
  ClientFrameSchema,
  ErrorCode,
  ResponderChange,
  ServerFrameSchema,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ClientFrame, ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import {
  DeliveryChannel,
  EscalationTarget,
  IncidentKind,
  IncidentStatus,
  ResolutionKind,
} from '@kith/gen/kith/support/v1/types_pb.js';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { NotificationSubjectSchema } from '@kith/gen/kith/user/v1/notification_pb.js';
import { eventType, internalClient, serveInternal } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import { Registry } from 'prom-client';
import { uuidv7 } from 'uuidv7';
import { deliveryReceipts } from './delivery-receipts.js';
import { startFrameStore } from './frame-store.js';
import { supportTopics } from './support-topics.js';
import { alice, connect, liveBus, silentLogger, startGateway } from './test-harness.js';
import type { TestClient } from './test-harness.js';
import { topicAccess } from './topic-access.js';

// Incident topics and delivery receipts through a real gateway: bus events published as support
// publishes them go through the real frame store (routing, numbering, live fan-out) to real
// sockets, and SupportInternalService is a stand-in served over the bus with serveInternal, as
// support serves it (services/support/src/internal/internal.ts), holding who owns and who was
// alerted by each incident, and recording the receipts it is sent.

const DAY = 24 * 3600_000;

/** A signed-in user of these tests: the token `token-<user id>` is theirs. */
function person(): Principal & { token: string } {
  const userId = uuidv7();
  return { ...alice, userId, sessionId: uuidv7(), token: `token-${userId}` };
}

interface World {
  url: string;
  log: ReturnType<typeof createMemoryTopicLog>;
  /** incident id → owner id, as support answers AuthorizeTopics. */
  owners: Map<string, string>;
  /** incident id → the users it alerted, as support answers AuthorizeResponderTopics. */
  alerted: Map<string, Set<string>>;
  /** Every delivery RecordDeliveries was sent. */
  deliveries: Delivery[];
  /** Stops serving SupportInternalService (support down). */
  stopSupport(): Promise<void>;
}

async function supportWorld(t: TestContext, people: (Principal & { token: string })[]) {
  const bus = await liveBus();
  const logger = silentLogger();
  const log = createMemoryTopicLog();
  const owners = new Map<string, string>();
  const alerted = new Map<string, Set<string>>();
  const deliveries: Delivery[] = [];
  const served = await serveInternal(
    bus,
    SupportInternalService,
    {
      authorizeTopics: async (req) => ({
        allowedIds: req.ids.filter((id) => owners.get(id) === req.userId),
      }),
      authorizeResponderTopics: async (req) => ({
        allowedIds: req.ids.filter((id) => alerted.get(id)?.has(req.userId) ?? false),
      }),
      recordDeliveries: async (req) => {
        deliveries.push(...req.deliveries);
        return {};
      },
    },
    logger,
  );
  let supportUp = true;
  const stopSupport = async () => {
    if (!supportUp) return;
    supportUp = false;
    await Promise.all(served.map((s) => s.stop()));
  };
  t.onTestFinished(stopSupport);
  const frameStore = await startFrameStore({
    bus,
    log,
    logger,
    metrics: new Registry(),
    maxAgeMs: DAY,
    clock: () => new Date(),
  });
  t.onTestFinished(() => frameStore.stop());
  const support = internalClient(bus, SupportInternalService, { timeoutMs: 500 });
  const { url } = await startGateway(t, {
    log,
    authenticate: async (headers) =>
      people.find((p) => headers.get('authorization') === `Bearer ${p.token}`),
    access: topicAccess(
      {
        roleOf: () => Promise.reject(new Error('no circle service here')),
        peek: () => null,
        stop: () => {},
      },
      { allows: () => Promise.reject(new Error('no post service here')) },
      supportTopics(support),
    ),
    receipts: deliveryReceipts({
      support,
      clock: () => new Date(),
      logger,
      metrics: new Registry(),
    }),
  });
  const world: World = { url, log, owners, alerted, deliveries, stopSupport };
  return world;
}

type Payload = NonNullable<EnvelopeInit['payload']>;

/** Publishes an event on the bus as its service's outbox relay would. */
async function publish(payload: Payload, occurredAt = new Date()): Promise<void> {
  const bus = await liveBus();
  const id = uuidv7();
  const type = eventType(payload.case!);
  await bus.publish({
    id,
    subject: `kith.events.${type}`,
    data: encodeEvent({
      id,
      type,
      occurredAt: timestampFromDate(occurredAt),
      actor: { kind: { case: 'system', value: true } },
      schemaVersion: 1,
      source: type.split('.')[0]!,
      payload,
    }),
    headers: {},
  });
}

/** A socket of `who`, past its Hello; binary sockets also keep the raw bytes of each frame. */
async function socketOf(
  t: TestContext,
  w: World,
  who: { token: string },
  binary = false,
): Promise<
  TestClient & { raw: Buffer[]; send(frame: MessageInitShape<typeof ClientFrameSchema>): void }
> {
  const client = await connect(t, `${w.url}/ws`, binary ? ['kith.v1.proto'] : [], {
    headers: { authorization: `Bearer ${who.token}` },
  });
  const raw: Buffer[] = [];
  client.ws.on('message', (data: Buffer) => raw.push(data));
  assert.equal((await client.frame(1)).type, 'hello');
  return {
    ...client,
    raw,
    send(init) {
      const frame: ClientFrame = create(ClientFrameSchema, init);
      client.ws.send(
        binary ? toBinary(ClientFrameSchema, frame) : toJsonString(ClientFrameSchema, frame),
      );
    },
  };
}

type Socket = Awaited<ReturnType<typeof socketOf>>;

async function next(socket: Socket, match: (f: ServerFrame) => boolean, from = 0) {
  await waitFor(() => socket.frames.slice(from).some(match), { timeoutMs: 5_000, what: 'frame' });
  return socket.frames.slice(from).find(match)!;
}

/** Subscribe's answer: 'subscribed', or the Error's code. */
async function subscribe(socket: Socket, topic: string): Promise<'subscribed' | ErrorCode> {
  const from = socket.frames.length;
  socket.send({ frame: { case: 'subscribe', value: { topic } } });
  const answer = await next(socket, (f) => f.type === 'subscribed' || f.type === 'error', from);
  return answer.payload.case === 'error' ? answer.payload.value.code : 'subscribed';
}

const eventFrames = (socket: Socket, topic: string) =>
  socket.frames.filter((f) => f.topic === topic && f.seq > 0n);

/** What each event frame of a topic says: [seq, change, version, duress] (duress: responders). */
function changes(socket: Socket, topic: string) {
  return eventFrames(socket, topic).map((f) => {
    const p = f.payload;
    if (p.case === 'incident') return [f.seq, p.value.change.case, p.value.version];
    if (p.case === 'incidentResponder') {
      return [
        f.seq,
        p.value.event?.change.case ?? 'notice',
        p.value.event?.version,
        p.value.duress,
      ];
    }
    return [f.seq, p.case];
  });
}

test('the owner may hold incident:<id> only, an alerted user responders:<id> only, a stranger neither', async (t) => {
  const [owner, responder, stranger] = [person(), person(), person()];
  const w = await supportWorld(t, [owner, responder, stranger]);
  const incident = uuidv7();
  w.owners.set(incident, owner.userId);
  w.alerted.set(incident, new Set([responder.userId]));

  const own = await socketOf(t, w, owner);
  const alertedSocket = await socketOf(t, w, responder);
  const strangers = await socketOf(t, w, stranger);
  assert.equal(await subscribe(own, `incident:${incident}`), 'subscribed');
  assert.equal(await subscribe(own, `responders:${incident}`), ErrorCode.FORBIDDEN_TOPIC);
  assert.equal(await subscribe(alertedSocket, `responders:${incident}`), 'subscribed');
  assert.equal(await subscribe(alertedSocket, `incident:${incident}`), ErrorCode.FORBIDDEN_TOPIC);
  for (const topic of [`incident:${incident}`, `responders:${incident}`]) {
    assert.equal(await subscribe(strangers, topic), ErrorCode.FORBIDDEN_TOPIC);
  }
  // An incident that does not exist is refused the same way.
  assert.equal(await subscribe(own, `incident:${uuidv7()}`), ErrorCode.FORBIDDEN_TOPIC);

  // Resume asks the same questions: the granted topic is confirmed, the other refused by name.
  const resumed = await socketOf(t, w, owner);
  resumed.send({
    requestId: 7,
    frame: {
      case: 'resume',
      value: {
        cursors: [
          { topic: `incident:${incident}`, seq: 0n },
          { topic: `responders:${incident}`, seq: 0n },
        ],
      },
    },
  });
  const confirmed = await next(resumed, (f) => f.type === 'subscribed');
  assert.deepEqual(
    confirmed.payload.case === 'subscribed' && confirmed.payload.value.heads.map((c) => c.topic),
    [`incident:${incident}`],
  );
  const refused = await next(resumed, (f) => f.type === 'error');
  assert.deepEqual(
    refused.payload.case === 'error' && [refused.payload.value.code, refused.payload.value.topic],
    [ErrorCode.FORBIDDEN_TOPIC, `responders:${incident}`],
  );

  // Support not answering is not a refusal: retry later.
  await w.stopSupport();
  assert.equal(await subscribe(strangers, `incident:${incident}`), ErrorCode.UNAVAILABLE);
});

test('incident events reach the owner on incident:<id> and the alerted on responders:<id>, in order', async (t) => {
  const [owner, responder] = [person(), person()];
  const w = await supportWorld(t, [owner, responder]);
  const incidentId = uuidv7();
  w.owners.set(incidentId, owner.userId);
  w.alerted.set(incidentId, new Set([responder.userId]));
  const own = await socketOf(t, w, owner);
  const alertedSocket = await socketOf(t, w, responder);
  assert.equal(await subscribe(own, `incident:${incidentId}`), 'subscribed');
  assert.equal(await subscribe(alertedSocket, `responders:${incidentId}`), 'subscribed');

  const facts = { incidentId, ownerId: owner.userId };
  await publish({
    case: 'supportAlertRaised',
    value: {
      ...facts,
      kind: IncidentKind.SOS,
      notifiedUserIds: [responder.userId],
      bypassQuietHours: true,
      version: 1n,
      message: 'help',
    },
  });
  await publish({
    case: 'supportAcknowledged',
    value: { ...facts, responderId: responder.userId, version: 2n },
  });
  await publish({
    case: 'supportEscalated',
    value: {
      ...facts,
      step: 1,
      target: EscalationTarget.INCIDENT_CIRCLES,
      notifiedUserIds: [uuidv7(), uuidv7()],
      version: 3n,
    },
  });
  await publish({
    case: 'supportResolved',
    value: {
      ...facts,
      status: IncidentStatus.RESOLVED,
      resolution: ResolutionKind.ALL_CLEAR,
      resolvedByUserId: responder.userId,
      recipientUserIds: [responder.userId],
      version: 4n,
    },
  });

  const ownerTopic = `incident:${incidentId}`;
  const respondersTopic = `responders:${incidentId}`;
  await waitFor(() => eventFrames(own, ownerTopic).length === 4, { what: 'owner frames' });
  await waitFor(() => eventFrames(alertedSocket, respondersTopic).length === 4, {
    what: 'responder frames',
  });
  assert.deepEqual(changes(own, ownerTopic), [
    [1n, 'opened', 1n],
    [2n, 'responder', 2n],
    [3n, 'escalated', 3n],
    [4n, 'closed', 4n],
  ]);
  assert.deepEqual(changes(alertedSocket, respondersTopic), [
    [1n, 'opened', 1n, false],
    [2n, 'responder', 2n, false],
    [3n, 'escalated', 3n, false],
    [4n, 'closed', 4n, false],
  ]);
  // The responders' view is the owner's, wrapped.
  const ownerEvents = eventFrames(own, ownerTopic).map((f) =>
    f.payload.case === 'incident' ? f.payload.value : undefined,
  );
  const responderEvents = eventFrames(alertedSocket, respondersTopic).map((f) =>
    f.payload.case === 'incidentResponder' ? f.payload.value.event : undefined,
  );
  assert.deepEqual(responderEvents, ownerEvents);
  const [opened, acked, stepped] = ownerEvents;
  assert.deepEqual(
    opened?.change.case === 'opened' && [
      opened.change.value.kind,
      opened.change.value.notifiedCount,
    ],
    [IncidentKind.SOS, 1],
  );
  assert.deepEqual(
    acked?.change.case === 'responder' && [
      acked.change.value.responderUserId,
      acked.change.value.change,
    ],
    [responder.userId, ResponderChange.ACKNOWLEDGED],
  );
  assert.equal(stepped?.change.case === 'escalated' && stepped.change.value.notifiedCount, 2);
  // No frame names who was notified or who resolved for whom, nor the owner's message.
  for (const frame of [
    ...eventFrames(own, ownerTopic),
    ...eventFrames(alertedSocket, respondersTopic),
  ]) {
    assert.doesNotMatch(toJsonString(ServerFrameSchema, frame), /help|quiet|recipient|silent/i);
  }
});

test('after a duress cancel the owner gets the bytes of a real cancel and nothing more; the alerted get every change flagged', async (t) => {
  const [owner, responder] = [person(), person()];
  const w = await supportWorld(t, [owner, responder]);
  // Two SOS of the same owner, alike but for the PIN used to cancel them.
  const [real, duress] = [uuidv7(), uuidv7()];
  for (const incident of [real, duress]) {
    w.owners.set(incident, owner.userId);
    w.alerted.set(incident, new Set([responder.userId]));
  }
  const own = await socketOf(t, w, owner, true);
  const alertedSocket = await socketOf(t, w, responder);
  for (const incident of [real, duress]) {
    assert.equal(await subscribe(own, `incident:${incident}`), 'subscribed');
    assert.equal(await subscribe(alertedSocket, `responders:${incident}`), 'subscribed');
  }

  const raisedAt = new Date(Date.now() - 60_000);
  const cancelledAt = new Date(Date.now() - 30_000);
  for (const incidentId of [real, duress]) {
    await publish(
      {
        case: 'supportAlertRaised',
        value: {
          incidentId,
          ownerId: owner.userId,
          kind: IncidentKind.SOS,
          notifiedUserIds: [responder.userId],
          version: 1n,
        },
      },
      raisedAt,
    );
  }
  await publish(
    {
      case: 'supportResolved',
      value: {
        incidentId: real,
        ownerId: owner.userId,
        status: IncidentStatus.CANCELLED,
        resolvedByUserId: owner.userId,
        recipientUserIds: [responder.userId],
        version: 2n,
      },
    },
    cancelledAt,
  );
  await publish(
    {
      case: 'supportDuressCancelled',
      value: {
        incidentId: duress,
        ownerId: owner.userId,
        recipientUserIds: [responder.userId],
        version: 2n,
      },
    },
    cancelledAt,
  );
  // The incident goes on, every event of it silent.
  const later = { incidentId: duress, ownerId: owner.userId, silent: true };
  await publish({
    case: 'supportEscalated',
    value: {
      ...later,
      step: 1,
      target: EscalationTarget.ALL_CIRCLES,
      notifiedUserIds: [uuidv7()],
      version: 3n,
    },
  });
  await publish({
    case: 'supportAcknowledged',
    value: { ...later, responderId: responder.userId, version: 4n },
  });
  await publish({
    case: 'supportNoteAdded',
    value: { ...later, authorId: responder.userId, text: 'with her now', version: 5n },
  });
  await publish({ case: 'supportLocationStopped', value: { ...later, version: 6n } });

  await waitFor(() => eventFrames(alertedSocket, `responders:${duress}`).length === 6, {
    what: 'the duress responder frames',
  });
  assert.deepEqual(changes(alertedSocket, `responders:${duress}`), [
    [1n, 'opened', 1n, false],
    [2n, 'notice', undefined, true],
    [3n, 'escalated', 3n, true],
    [4n, 'responder', 4n, true],
    [5n, 'noteAdded', 5n, true],
    [6n, 'locationStopped', 6n, true],
  ]);
  // A real cancel tells the responders it is over.
  await waitFor(() => eventFrames(alertedSocket, `responders:${real}`).length === 2);
  assert.deepEqual(changes(alertedSocket, `responders:${real}`), [
    [1n, 'opened', 1n, false],
    [2n, 'closed', 2n, false],
  ]);

  // Every frame of the silent events was stored before the last responder frame went out:
  // the owner's topic stopped at the cancel.
  assert.equal(await w.log.head(`incident.${duress}`), 2n);
  await waitFor(() => eventFrames(own, `incident:${real}`).length === 2);
  await waitFor(() => eventFrames(own, `incident:${duress}`).length === 2);
  assert.deepEqual(changes(own, `incident:${duress}`), changes(own, `incident:${real}`));
  assert.ok(own.frames.every((f) => f.payload.case !== 'incidentResponder'));

  // Byte for byte: the duress cancel's frame is the real cancel's, but for the incident's id.
  const bytesOf = (incident: string, seq: bigint) =>
    own.raw.find((data) => {
      const f = fromBinary(ServerFrameSchema, data);
      return f.topic === `incident:${incident}` && f.seq === seq;
    })!;
  const realCancel = bytesOf(real, 2n).toString('latin1');
  const duressCancel = bytesOf(duress, 2n).toString('latin1');
  assert.ok(realCancel.includes(real));
  assert.equal(duressCancel, realCancel.replaceAll(real, duress));
  const cancelFrame = fromBinary(ServerFrameSchema, bytesOf(duress, 2n));
  const closed =
    cancelFrame.payload.case === 'incident' ? cancelFrame.payload.value.change : undefined;
  assert.deepEqual(closed?.case === 'closed' && [closed.value.status, closed.value.resolution], [
    IncidentStatus.CANCELLED,
    ResolutionKind.UNSPECIFIED,
  ]);
});

test('an Ack of an incident alert records the responder as delivered by socket; other Acks are ignored', async (t) => {
  const responder = person();
  const w = await supportWorld(t, [responder]);
  const [incidentId, otherIncident] = [uuidv7(), uuidv7()];
  const socket = await socketOf(t, w, responder);
  assert.equal(await subscribe(socket, 'notifications'), 'subscribed');

  const notification = (
    notificationType: NotificationType,
    subject: MessageInitShape<typeof NotificationSubjectSchema>,
  ): Payload => ({
    case: 'userNotificationCreated',
    value: {
      notificationId: uuidv7(),
      recipientId: responder.userId,
      notificationType,
      groupKey: `${notificationType}:${incidentId}`,
      actorId: uuidv7(),
      subject,
      preview: 'SOS',
    },
  });
  await publish(
    notification(NotificationType.SOS, { kind: { case: 'incidentId', value: incidentId } }),
  );
  // About an incident, but no alert: a responder acknowledged an incident this user owns.
  await publish(
    notification(NotificationType.SUPPORT_ACKNOWLEDGED, {
      kind: { case: 'incidentId', value: otherIncident },
    }),
  );
  await waitFor(() => eventFrames(socket, 'notifications').length === 2, { what: 'notifications' });
  const [alert, notice] = eventFrames(socket, 'notifications');
  assert.deepEqual(
    [alert!.seq, alert!.ackRequired, notice!.seq, notice!.ackRequired],
    [1n, true, 2n, false],
  );

  const ack = (topic: string, seq: bigint) =>
    socket.send({ frame: { case: 'ack', value: { topic, seq } } });
  const framesBefore = socket.frames.length;
  ack('notifications', 2n); // about an incident, but not ack_required
  ack('notifications', 9n); // never sent
  ack('user', 1n); // another topic's seq 1
  ack('notifications', 1n);
  ack('notifications', 1n); // twice: harmless
  await waitFor(() => w.deliveries.length >= 1, { what: 'RecordDeliveries' });
  // Whatever the ignored Acks would have sent went in the same turn or earlier.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(w.deliveries.length, 1);
  const [delivery] = w.deliveries;
  assert.deepEqual(
    [delivery!.incidentId, delivery!.userId, delivery!.channel],
    [incidentId, responder.userId, DeliveryChannel.SOCKET],
  );
  assert.ok(Math.abs(timestampDate(delivery!.deliveredAt!).getTime() - Date.now()) < 5_000);
  // An Ack is answered by no frame, not even an error.
  assert.equal(socket.frames.length, framesBefore);
});

test('an SOS reaches each alerted user’s "user" topic as an IncidentAlert, whose Ack is their one delivery receipt; never the owner’s', async (t) => {
  const [owner, responder] = [person(), person()];
  const w = await supportWorld(t, [owner, responder]);
  const incidentId = uuidv7();
  const [ownerSocket, responderSocket] = [
    await socketOf(t, w, owner),
    await socketOf(t, w, responder),
  ];
  for (const socket of [ownerSocket, responderSocket]) {
    assert.equal(await subscribe(socket, 'user'), 'subscribed');
  }
  await publish({
    case: 'supportAlertRaised',
    value: {
      incidentId,
      kind: IncidentKind.SOS,
      ownerId: owner.userId,
      notifiedUserIds: [responder.userId],
      bypassQuietHours: true,
      version: 1n,
      message: 'help',
    },
  });
  const alert = await next(responderSocket, (f) => f.type === 'incident_alert');
  assert.deepEqual([alert.topic, alert.seq, alert.ackRequired], ['user', 1n, true]);
  assert.deepEqual(
    alert.payload.case === 'incidentAlert' && [
      alert.payload.value.incidentId,
      alert.payload.value.ownerUserId,
      alert.payload.value.kind,
    ],
    [incidentId, owner.userId, IncidentKind.SOS],
  );
  responderSocket.send({ frame: { case: 'ack', value: { topic: 'user', seq: 1n } } });
  await waitFor(() => w.deliveries.length >= 1, { what: 'RecordDeliveries' });
  assert.deepEqual(
    w.deliveries.map((d) => [d.incidentId, d.userId, d.channel]),
    [[incidentId, responder.userId, DeliveryChannel.SOCKET]],
  );
  // The SOS notification that follows is an alert too, but its Ack gives no second receipt.
  assert.equal(await subscribe(responderSocket, 'notifications'), 'subscribed');
  await publish({
    case: 'userNotificationCreated',
    value: {
      notificationId: uuidv7(),
      recipientId: responder.userId,
      notificationType: NotificationType.SOS,
      groupKey: `sos:${incidentId}`,
      actorId: owner.userId,
      subject: { kind: { case: 'incidentId', value: incidentId } },
    },
  });
  const notification = await next(responderSocket, (f) => f.topic === 'notifications');
  assert.deepEqual([notification.seq, notification.ackRequired], [1n, true]);
  responderSocket.send({ frame: { case: 'ack', value: { topic: 'notifications', seq: 1n } } });
  // The owner's "user" topic got nothing of it (a later frame would have come after this one).
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(eventFrames(ownerSocket, 'user'), []);
  assert.equal(w.deliveries.length, 1);
});
