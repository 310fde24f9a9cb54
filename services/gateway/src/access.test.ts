import assert from 'node:assert/strict';
import { test } from 'vitest';
import { create, toJsonString } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { createRateLimiter } from '@kith/cache';
import { RESTRICTED_SCOPE } from '@kith/context';
import type { Principal } from '@kith/context';
import {
  ClientFrameSchema,
  CloseReason,
  ErrorCode,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { waitFor } from '@kith/testkit';
import {
  alice,
  connect,
  GOOD_TOKEN,
  refusedStatus,
  socketGauge,
  startGateway,
} from './test-harness.js';
import type { TestClient } from './test-harness.js';

const bearer = { headers: { authorization: `Bearer ${GOOD_TOKEN}` } };

function closingReason(client: TestClient): CloseReason | undefined {
  const frame = client.frames.find((f) => f.payload.case === 'closing');
  return frame?.payload.case === 'closing' ? frame.payload.value.reason : undefined;
}

/** The close code, or a failure when the server keeps the socket open for 5 s. */
async function closeCode(client: TestClient): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the socket stayed open')), 5_000);
  });
  try {
    return (await Promise.race([client.closed, timeout])).code;
  } finally {
    clearTimeout(timer);
  }
}

function authenticateFrame(accessToken: string, requestId: number): string {
  return toJsonString(
    ClientFrameSchema,
    create(ClientFrameSchema, {
      requestId,
      frame: { case: 'authenticate', value: { accessToken } },
    }),
  );
}

test('revoke() closes the sockets of a revoked session or of older tokens, and no others', async (t) => {
  const { url, gateway, metrics } = await startGateway(t);
  const client = await connect(t, `${url}/ws`, [], bearer);
  await client.frame(1);

  assert.equal(gateway.revoke({ kind: 'session', sessionId: 'another-session' }), 0);
  assert.equal(
    gateway.revoke({ kind: 'user', userId: alice.userId, validAfter: alice.issuedAt }),
    0,
  );
  assert.equal(gateway.revoke({ kind: 'user', userId: 'someone-else', validAfter: 2e9 }), 0);
  assert.equal(gateway.revoke({ kind: 'api_key', keyHash: 'ab' }), 0);

  assert.equal(
    gateway.revoke({ kind: 'user', userId: alice.userId, validAfter: alice.issuedAt + 1 }),
    1,
  );
  assert.equal(await closeCode(client), 4401);
  assert.equal(closingReason(client), CloseReason.TOKEN_REVOKED);
  const closing = client.frames.find((f) => f.payload.case === 'closing')!;
  assert.equal(closing.payload.case === 'closing' && closing.payload.value.reconnect, false);
  await waitFor(async () => (await socketGauge(metrics)) === 0);
});

test('a revocation missed on the bus is caught at the next heartbeat', async (t) => {
  let revoked = false;
  const { url } = await startGateway(t, {
    heartbeatMs: 50,
    authenticate: async (headers) =>
      !revoked && headers.get('authorization') === `Bearer ${GOOD_TOKEN}` ? alice : undefined,
  });
  const client = await connect(t, `${url}/ws`, [], bearer);
  await client.frame(1);
  revoked = true;
  assert.equal(await closeCode(client), 4401);
  assert.equal(closingReason(client), CloseReason.TOKEN_REVOKED);
});

test('a heartbeat that cannot check credentials does not close the socket', async (t) => {
  let calls = 0;
  const { url } = await startGateway(t, {
    heartbeatMs: 50,
    authenticate: async () => {
      calls += 1;
      if (calls > 1) throw new Error('cache unreachable');
      return alice;
    },
  });
  const client = await connect(t, `${url}/ws`, [], bearer);
  client.ws.on('ping', () => undefined);
  await waitFor(() => calls >= 3, { what: 'rechecks' });
  assert.equal(closingReason(client), undefined);
});

test('an in-band token of another session, or a restricted one of the same session, is refused and the socket keeps its expiry', async (t) => {
  const expiring: Principal = { ...alice, expiresAt: Math.floor(Date.now() / 1000) + 2 };
  const { url } = await startGateway(t, {
    authenticate: async (headers) => {
      const token = headers.get('authorization');
      if (token === `Bearer ${GOOD_TOKEN}`) return expiring;
      if (token === 'Bearer other-session') {
        return { ...alice, sessionId: 'another-session', expiresAt: expiring.expiresAt! + 600 };
      }
      // The session was suspended since: its fresh token is restricted.
      if (token === 'Bearer restricted') {
        return { ...alice, scopes: [RESTRICTED_SCOPE], expiresAt: expiring.expiresAt! + 600 };
      }
      return undefined;
    },
  });
  const client = await connect(t, `${url}/ws`, [], bearer);
  const hello = await client.frame(1);
  // Hello tells the client when to present a fresh token.
  assert.equal(
    hello.payload.case === 'hello' && timestampMs(hello.payload.value.tokenExpiresAt!),
    expiring.expiresAt! * 1000,
  );
  client.ws.send(authenticateFrame('other-session', 3));
  client.ws.send(authenticateFrame('garbage', 4));
  client.ws.send(authenticateFrame('restricted', 5));
  const first = await client.frame(2);
  const second = await client.frame(3);
  const third = await client.frame(4);
  for (const [frame, requestId] of [
    [first, 3],
    [second, 4],
    [third, 5],
  ] as const) {
    assert.equal(frame.payload.case, 'error');
    assert.equal(frame.payload.value.code, ErrorCode.INVALID_TOKEN);
    assert.equal(frame.payload.value.requestId, requestId);
  }
  assert.equal(await closeCode(client), 4401);
  assert.equal(closingReason(client), CloseReason.TOKEN_EXPIRED);
});

test('one user holds at most maxSocketsPerUser sockets; closing one frees a place', async (t) => {
  const { url } = await startGateway(t, { maxSocketsPerUser: 2 });
  const first = await connect(t, `${url}/ws`, [], bearer);
  await connect(t, `${url}/ws`, [], bearer);
  assert.equal(await refusedStatus(`${url}/ws`, [], bearer), 429);
  first.ws.close();
  await first.closed;
  await waitFor(async () => {
    const status = await refusedStatus(`${url}/ws`, [], bearer).catch(() => 'opened');
    return status === 'opened';
  });
});

test('upgrades per client address are limited before any token is verified', async (t) => {
  const { url, seenHeaders } = await startGateway(t, {
    upgradeLimiter: createRateLimiter({
      store: 'memory',
      keyPrefix: 'test-upgrades',
      points: 2,
      durationSec: 60,
    }),
  });
  const wrong = { headers: { authorization: 'Bearer not-the-token' } };
  assert.equal(await refusedStatus(`${url}/ws`, [], wrong), 401);
  assert.equal(await refusedStatus(`${url}/ws`, [], wrong), 401);
  assert.equal(await refusedStatus(`${url}/ws`, [], bearer), 429);
  assert.equal(seenHeaders.length, 2);
});
