import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createClient } from '@connectrpc/connect';
import { startAuthHarness } from '@kith/auth-service/testing';
import type { AuthHarness } from '@kith/auth-service/testing';
import { circleModule } from '@kith/circle-service';
import { gatewayModule } from '@kith/gateway';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import { IncidentKind, ResponderState } from '@kith/gen/kith/support/v1/types_pb.js';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import { supportModule } from '@kith/support-service';
import { userModule } from '@kith/user-service';
import { waitFor } from '@kith/testkit';
import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';
import type { WebSocket } from 'ws';
import { openSocket, subscribeFrame } from './sockets.js';
import type { TestSocket } from './sockets.js';

// An SOS through the real services (auth, user, circle, support and the gateway in one embedded
// process): each member it alerted gets the IncidentAlert on "user" straight from support's
// event (ADR 0029), then the SOS notification; an Ack of the alert is the member's delivery
// receipt; the owner's own topics get neither.

describe('an SOS reaches the alerted members’ sockets', () => {
  let h: AuthHarness;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    h = await startAuthHarness({
      modules: [userModule, circleModule, supportModule, gatewayModule],
    });
  });
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await h.stop();
  });

  async function subscribed(socket: TestSocket, topic: string): Promise<void> {
    const from = socket.frames.length;
    socket.send(subscribeFrame(topic));
    const answer = await socket.next((f) => f.type === 'subscribed' || f.type === 'error', from);
    assert.equal(answer.type, 'subscribed', `subscribed to ${topic}`);
  }

  /** Waits until `query` (a count in `service`'s schema) answers `n`. */
  async function projected(
    service: 'circle' | 'support',
    query: RawBuilder<{ n: number }>,
    n: number,
  ) {
    const database = h.kith.contexts.get(service)!.database!;
    await waitFor(async () => (await query.execute(database.db)).rows[0]?.n === n, {
      timeoutMs: 10_000,
      what: `${service} projection`,
    });
  }

  test('the alerted get an IncidentAlert, then the notification; an Ack is their receipt; never the owner', async () => {
    const [ana, bo, cy] = [await h.signUp(), await h.signUp(), await h.signUp()];
    for (const p of [ana, bo, cy]) {
      await projected(
        'circle',
        sql<{ n: number }>`select count(*)::int as n from ${sql.table('circle.users')}
          where user_id = ${p.userId}`,
        1,
      );
    }
    const circlesOf = (token: string) => createClient(CircleService, h.as(token).transport);
    const { circle } = await circlesOf(ana.accessToken).createCircle({
      name: 'Night walk',
      joinRule: JoinRule.INVITE_ONLY,
    });
    const circleId = circle!.circleId;
    const { inviteLink } = await circlesOf(ana.accessToken).createInviteLink({ circleId });
    for (const p of [bo, cy]) {
      await circlesOf(p.accessToken).joinByLink({ code: inviteLink!.code });
    }
    await projected(
      'support',
      sql<{ n: number }>`select count(*)::int as n from ${sql.table('support.circle_members')}
        where circle_id = ${circleId} and role > 0`,
      3,
    );

    const anaSocket = await openSocket(h.url, ana.accessToken, sockets);
    const boSocket = await openSocket(h.url, bo.accessToken, sockets);
    const cySocket = await openSocket(h.url, cy.accessToken, sockets);
    for (const socket of [anaSocket, boSocket, cySocket]) {
      await subscribed(socket, 'user');
      await subscribed(socket, 'notifications');
    }

    const support = (token: string) => createClient(SupportService, h.as(token).transport);
    const { incident } = await support(ana.accessToken).raiseSos({
      circleIds: [circleId],
      message: 'followed from the station',
    });
    const incidentId = incident!.incidentId;

    for (const socket of [boSocket, cySocket]) {
      const alert = await socket.next((f) => f.type === 'incident_alert');
      assert.deepEqual([alert.topic, alert.ackRequired], ['user', true]);
      assert.deepEqual(
        alert.payload.case === 'incidentAlert' && [
          alert.payload.value.incidentId,
          alert.payload.value.kind,
          alert.payload.value.ownerUserId,
        ],
        [incidentId, IncidentKind.SOS, ana.userId],
      );
      const notification = await socket.next(
        (f) => f.topic === 'notifications' && f.payload.case === 'notification',
      );
      assert.deepEqual(
        notification.payload.case === 'notification' && [
          notification.payload.value.type,
          notification.ackRequired,
        ],
        [NotificationType.SOS, true],
      );
    }

    // Bo's client shows the alert and acknowledges its delivery; Cy's does not (yet).
    const alert = boSocket.frames.find((f) => f.type === 'incident_alert')!;
    boSocket.send({ frame: { case: 'ack', value: { topic: 'user', seq: alert.seq } } });
    const stateOf = async (userId: string) => {
      const { responders } = await support(ana.accessToken).listResponders({ incidentId });
      return responders.find((r) => r.user?.userId === userId)?.state;
    };
    await waitFor(async () => (await stateOf(bo.userId)) === ResponderState.DELIVERED, {
      timeoutMs: 10_000,
      what: 'Bo delivered',
    });
    assert.equal(await stateOf(cy.userId), ResponderState.NOTIFIED);

    // The owner's own topics carry nothing of the alert.
    assert.deepEqual(
      anaSocket.frames.filter((f) => f.type === 'incident_alert' || f.type === 'notification'),
      [],
    );
  });
});
