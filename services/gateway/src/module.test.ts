import assert from 'node:assert/strict';
import { test } from 'vitest';
import { durationMs } from '@bufbuild/protobuf/wkt';
import { REVOCATION_LIVE_SUBJECT, encodeRevocation } from '@kith/authn';
import { createMemoryTopicLog } from '@kith/bus';
import type { Bus, LiveMessage } from '@kith/bus';
import { createRateLimiter } from '@kith/cache';
import { loadEnv, platformEnvSchema, toPlatformConfig } from '@kith/config';
import type { ServiceContext } from '@kith/runtime';
import { Registry } from 'prom-client';
import { gatewayModule } from './module.js';
import {
  alice,
  connect,
  fakeAuthenticate,
  GOOD_TOKEN,
  refusedStatus,
  serveUpgrades,
  silentLogger,
  socketGauge,
} from './test-harness.js';

const bearer = { headers: { authorization: `Bearer ${GOOD_TOKEN}` } };

test('gatewayModule wires the context: authenticate, origins, metrics, env heartbeat, revocations', async (t) => {
  const metrics = new Registry();
  // Only the live subscription is used; the real bus is exercised by the embedded e2e suite.
  const live = new Map<string, (msg: LiveMessage) => void>();
  const bus = {
    subscribeLive(subject: string, callback: (msg: LiveMessage) => void) {
      live.set(subject, callback);
      return { unsubscribe: () => live.delete(subject) };
    },
  } as unknown as Bus;
  const config = toPlatformConfig(loadEnv(platformEnvSchema, {}));
  // Only what the gateway reads; it keeps no data.
  const ctx: ServiceContext = {
    name: 'gateway',
    config: {
      ...config,
      http: { ...config.http, corsAllowedOrigins: ['https://app.kith.example'] },
    },
    logger: silentLogger(),
    metrics,
    database: undefined,
    bus,
    cache: undefined as never,
    lists: undefined as never,
    revocations: undefined as never,
    pageTokens: undefined as never,
    clock: () => new Date('2026-01-02T03:04:05Z'),
    rateLimiter: (o) => createRateLimiter({ store: 'memory', ...o }),
    env: { GATEWAY_HEARTBEAT_MS: '75' },
    derivedSecret: () => undefined,
    topicLog: async () => createMemoryTopicLog(),
    authenticate: fakeAuthenticate(),
    clientAddress: (req) => req.socket.remoteAddress ?? '',
  };
  assert.equal(gatewayModule.migrations, undefined);
  const parts = await gatewayModule.create(ctx);
  t.onTestFinished(() => parts.close?.());
  const { url } = await serveUpgrades(t, parts.onUpgrade!);

  const origin = 'https://evil.example';
  assert.equal(await refusedStatus(`${url}/ws`, [], { ...bearer, origin }), 403);
  const client = await connect(t, `${url}/ws`, [], bearer);
  const hello = await client.frame(1);
  assert.equal(hello.payload.case, 'hello');
  assert.equal(durationMs(hello.payload.value.heartbeatInterval!), 75);
  assert.equal(
    hello.payload.value.serverTime?.seconds,
    BigInt(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000),
  );
  assert.equal(await socketGauge(metrics), 1);

  live.get(REVOCATION_LIVE_SUBJECT)!({
    subject: REVOCATION_LIVE_SUBJECT,
    data: encodeRevocation({ kind: 'session', sessionId: alice.sessionId! }),
  });
  assert.equal((await client.closed).code, 4401);
  await parts.close?.();
  assert.equal(live.size, 0);
});
