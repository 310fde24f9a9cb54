import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { toJsonString } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { startAuthHarness } from '@kith/auth-service/testing';
import type { AuthHarness } from '@kith/auth-service/testing';
import { circleModule } from '@kith/circle-service';
import { gatewayModule } from '@kith/gateway';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import {
  CircleChange,
  CircleMemberChange,
  ErrorCode,
  ServerFrameSchema,
  UnsubscribeReason,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import { userModule } from '@kith/user-service';
import { waitFor } from '@kith/testkit';
import { sql } from 'kysely';
import type { WebSocket } from 'ws';
import { openSocket, subscribeFrame } from './sockets.js';
import type { TestSocket } from './sockets.js';

// Auth, user, circle and the gateway in one embedded process: what people do through the APIs
// reaches the sockets that may see it, as the client-facing frames of realtime.proto, and stops
// reaching those who lose access.

describe('realtime frames from real services', () => {
  let h: AuthHarness;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    h = await startAuthHarness({ modules: [userModule, circleModule, gatewayModule] });
  });
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await h.stop();
  });

  async function person() {
    const account = await h.signUp();
    const circles = createClient(CircleService, h.as(account.accessToken).transport);
    // Circle knows people once the user service's profile event reached its projection.
    const circle = h.kith.contexts.get('circle')!.database!;
    await waitFor(
      async () =>
        (
          await sql<{ n: number }>`select count(*)::int as n from ${sql.table('circle.users')}
            where user_id = ${account.userId}`.execute(circle.db)
        ).rows[0]?.n === 1,
      { timeoutMs: 10_000, what: 'the circle service knows the new user' },
    );
    return { ...account, circles, socket: () => openSocket(h.url, account.accessToken, sockets) };
  }

  async function subscribed(socket: TestSocket, topic: string): Promise<void> {
    const from = socket.frames.length;
    socket.send(subscribeFrame(topic));
    const answer = await socket.next((f) => f.type === 'subscribed' || f.type === 'error', from);
    assert.equal(answer.type, 'subscribed', `subscribed to ${topic}`);
  }

  const memberChanges = (socket: TestSocket, topic: string) =>
    socket.frames.flatMap((f) =>
      f.topic === topic && f.payload.case === 'circleMember'
        ? [[f.payload.value.userId, f.payload.value.change] as const]
        : [],
    );

  test('a circle topic carries membership and circle changes to members; a removed member gets nothing more', async () => {
    const ana = await person();
    const bo = await person();
    const outsider = await person();
    const { circle } = await ana.circles.createCircle({
      name: 'Night shift',
      joinRule: JoinRule.INVITE_ONLY,
    });
    const circleId = circle!.circleId;
    const topic = `circle:${circleId}`;

    const anaSocket = await ana.socket();
    await subscribed(anaSocket, topic);
    const boSocket = await bo.socket();
    await subscribed(boSocket, 'user');
    await subscribed(boSocket, 'notifications');
    // Not a member: refused, indistinguishable from a circle that does not exist.
    const outsiderSocket = await outsider.socket();
    outsiderSocket.send(subscribeFrame(topic, 5));
    const refused = await outsiderSocket.next((f) => f.type === 'error');
    assert.equal(
      refused.payload.case === 'error' && refused.payload.value.code,
      ErrorCode.FORBIDDEN_TOPIC,
    );
    outsiderSocket.send(
      subscribeFrame(`circle:${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}`, 6),
    );
    const missing = await outsiderSocket.next(
      (f) => f.type === 'error' && f.payload.case === 'error' && f.payload.value.requestId === 6,
    );
    assert.equal(
      missing.payload.case === 'error' && missing.payload.value.code,
      ErrorCode.FORBIDDEN_TOPIC,
    );

    const { invite } = await ana.circles.inviteMember({
      circleId,
      userId: bo.userId,
      message: 'join us',
    });
    // The invite reaches bo as a notification, never naming anything bo may not see.
    const notified = await boSocket.next((f) => f.payload.case === 'notification');
    assert.equal(notified.topic, 'notifications');
    assert.equal(
      notified.payload.case === 'notification' && notified.payload.value.type,
      NotificationType.CIRCLE_INVITE,
    );
    assert.equal(notified.ackRequired, false);

    await bo.circles.acceptInvite({ inviteId: invite!.inviteId });
    await anaSocket.next(
      (f) => f.payload.case === 'circleMember' && f.payload.value.userId === bo.userId,
    );
    // bo's own "user" topic tells bo's other devices.
    const own = await boSocket.next((f) => f.topic === 'user' && f.payload.case === 'circleMember');
    assert.equal(
      own.payload.case === 'circleMember' && own.payload.value.change,
      CircleMemberChange.JOINED,
    );
    await subscribed(boSocket, topic);

    await ana.circles.updateCircle({
      circleId,
      description: 'Rides home',
      updateMask: { paths: ['description'] },
    });
    for (const socket of [anaSocket, boSocket]) {
      const updated = await socket.next((f) => f.topic === topic && f.payload.case === 'circle');
      assert.equal(
        updated.payload.case === 'circle' && updated.payload.value.change,
        CircleChange.UPDATED,
      );
    }

    const removedAt = Date.now();
    await ana.circles.removeMember({ circleId, userId: bo.userId, reason: 'spam' });
    const lost = await boSocket.next(
      (f) =>
        f.payload.case === 'unsubscribed' &&
        f.payload.value.reason === UnsubscribeReason.ACCESS_LOST,
    );
    const lostAfterMs = Date.now() - removedAt;
    assert.ok(lostAfterMs <= 1_000, `access ended ${lostAfterMs} ms after the removal`);
    assert.deepEqual(lost.payload.case === 'unsubscribed' && lost.payload.value.topics, [topic]);
    const boFramesAtRemoval = boSocket.frames.filter((f) => f.topic === topic && f.seq > 0n).length;

    // What happens in the circle afterwards reaches ana, not bo.
    await ana.circles.updateCircle({
      circleId,
      description: 'Still riding',
      updateMask: { paths: ['description'] },
    });
    const from = anaSocket.frames.length;
    await anaSocket.next((f) => f.payload.case === 'circle', from);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const boAfter = boSocket.frames.filter((f) => f.topic === topic && f.seq > 0n);
    assert.equal(boAfter.length, boFramesAtRemoval);
    // Whatever bo got on the circle topic ended with bo's own removal at the latest.
    assert.deepEqual(memberChanges(anaSocket, topic).slice(-2), [
      [bo.userId, CircleMemberChange.JOINED],
      [bo.userId, CircleMemberChange.REMOVED],
    ]);
    // Never who removed them or why.
    const removedFrame = anaSocket.frames.find(
      (f) =>
        f.payload.case === 'circleMember' && f.payload.value.change === CircleMemberChange.REMOVED,
    )!;
    assert.doesNotMatch(toJsonString(ServerFrameSchema, removedFrame), /spam|removedBy/i);

    // Resubscribing is refused now.
    const before = boSocket.frames.length;
    boSocket.send(subscribeFrame(topic, 9));
    const again = await boSocket.next((f) => f.type === 'error' || f.type === 'subscribed', before);
    assert.equal(
      again.payload.case === 'error' && again.payload.value.code,
      ErrorCode.FORBIDDEN_TOPIC,
    );
    // Event frames are numbered densely per topic.
    const seqs = anaSocket.frames.filter((f) => f.topic === topic && f.seq > 0n).map((f) => f.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => seqs[0]! + BigInt(i)),
    );
  });

  test('deleting a circle ends every subscription of it after the DELETED frame', async () => {
    const ana = await person();
    const { circle } = await ana.circles.createCircle({
      name: 'Short lived',
      joinRule: JoinRule.INVITE_ONLY,
    });
    const topic = `circle:${circle!.circleId}`;
    const socket = await ana.socket();
    await subscribed(socket, topic);
    await ana.circles.deleteCircle({ circleId: circle!.circleId });
    const deleted = await socket.next((f) => f.payload.case === 'circle');
    assert.equal(
      deleted.payload.case === 'circle' && deleted.payload.value.change,
      CircleChange.DELETED,
    );
    const ended = await socket.next((f) => f.payload.case === 'unsubscribed');
    assert.ok(socket.frames.indexOf(ended) > socket.frames.indexOf(deleted));
  });

  test('LogoutAll closes a subscribed socket with 4401 within 2 s', async () => {
    const ana = await person();
    const socket = await ana.socket();
    await subscribed(socket, 'user');
    const started = Date.now();
    await h.as(ana.accessToken).auth.logoutAll({});
    assert.deepEqual(await socket.closed(), { code: 4401 });
    assert.ok(Date.now() - started <= 2_000);
  });
});
