import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { CloseReason } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { seedUser, startAuthHarness, startSession } from '@kith/auth-service/testing';
import type { AuthHarness } from '@kith/auth-service/testing';
import { gatewayModule } from '@kith/gateway';
import { waitFor } from '@kith/testkit';
import type { WebSocket } from 'ws';
import { openSocket } from './sockets.js';
import type { TestSocket } from './sockets.js';

// The real gateway and the real auth service in one process over the in-process bus: what a
// user does through auth's API must reach the sockets the gateway holds.

const ACCESS_TOKEN_TTL_MS = 10 * 60_000;

describe('the gateway closes sockets whose access ends', () => {
  let h: AuthHarness;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    h = await startAuthHarness({ modules: [gatewayModule] });
  });
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await h.stop();
  });

  const open = (accessToken: string) => openSocket(h.url, accessToken, sockets);

  function closingReason(socket: TestSocket): CloseReason | undefined {
    const closing = socket.frames.find((f) => f.payload.case === 'closing');
    return closing?.payload.case === 'closing' ? closing.payload.value.reason : undefined;
  }

  /** Proves a socket is still served: a malformed frame is answered, not ignored. */
  async function stillServed(socket: TestSocket): Promise<void> {
    const before = socket.frames.length;
    socket.ws.send('{"nonsense":');
    await waitFor(() => socket.frames.length > before, { what: 'an answer on a live socket' });
    assert.equal(socket.frames.at(-1)!.payload.case, 'error');
  }

  test('LogoutAll closes every socket of the user with 4401, token revoked; others stay', async () => {
    const user = await seedUser(h);
    const otherDevice = await startSession(h, user);
    const stranger = await seedUser(h);
    const first = await open(user.accessToken);
    const second = await open(otherDevice.accessToken);
    const bystander = await open(stranger.accessToken);

    await h.as(user.accessToken).auth.logoutAll({});

    for (const socket of [first, second]) {
      assert.deepEqual(await socket.closed(), { code: 4401 });
      assert.equal(closingReason(socket), CloseReason.TOKEN_REVOKED);
    }
    assert.ok(bystander.isOpen());
    await stillServed(bystander);
  });

  test('Logout of one session closes only that session’s sockets', async () => {
    const user = await seedUser(h);
    const otherDevice = await startSession(h, user);
    const loggedOut = await open(user.accessToken);
    const kept = await open(otherDevice.accessToken);

    await h.as(user.accessToken).auth.logout({});

    assert.deepEqual(await loggedOut.closed(), { code: 4401 });
    assert.equal(closingReason(loggedOut), CloseReason.TOKEN_REVOKED);
    await stillServed(kept);
  });

  test('an admin disabling the account closes its sockets with 4401', async () => {
    const admin = await seedUser(h, { role: 'admin' });
    const user = await seedUser(h);
    const socket = await open(user.accessToken);

    await h.as(admin.accessToken).admin.disableAccount({
      userId: user.userId,
      reason: 'abuse',
      stepUp: { currentPassword: admin.password },
    });

    assert.deepEqual(await socket.closed(), { code: 4401 });
    assert.equal(closingReason(socket), CloseReason.TOKEN_REVOKED);
  });

  test('a socket is closed when its access token expires (4401, token expired)', async () => {
    const user = await seedUser(h);
    // Two seconds of the token's life left when the socket opens.
    h.clock.advance(ACCESS_TOKEN_TTL_MS - 2_000);
    const socket = await open(user.accessToken);

    assert.deepEqual(await socket.closed(), { code: 4401 });
    assert.equal(closingReason(socket), CloseReason.TOKEN_EXPIRED);
  });

  test('a fresh token presented in-band keeps the socket open past the old expiry', async () => {
    const user = await seedUser(h);
    h.clock.advance(ACCESS_TOKEN_TTL_MS - 2_000);
    const socket = await open(user.accessToken);
    const { tokens } = await h.auth.refresh({ refreshToken: user.refreshToken });

    socket.send({
      requestId: 7,
      frame: { case: 'authenticate', value: { accessToken: tokens!.accessToken } },
    });
    await waitFor(() => socket.frames.some((f) => f.payload.case === 'authenticated'), {
      what: 'authenticated',
    });
    const confirmed = socket.frames.find((f) => f.payload.case === 'authenticated')!;
    assert.equal(confirmed.payload.case, 'authenticated');
    assert.equal(confirmed.payload.value.requestId, 7);
    assert.ok(timestampMs(confirmed.payload.value.expiresAt!) >= h.clock.now().getTime() + 60_000);

    // Past the first token's expiry (and the verifier's tolerance), the socket is still served.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(closingReason(socket), undefined);
    await stillServed(socket);
  });
});
