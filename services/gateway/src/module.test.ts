import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationMs } from '@bufbuild/protobuf/wkt';
import { loadEnv, platformEnvSchema, toPlatformConfig } from '@kith/config';
import type { ServiceContext } from '@kith/runtime';
import { Registry } from 'prom-client';
import { gatewayModule } from './module.js';
import {
  connect,
  fakeAuthenticate,
  GOOD_TOKEN,
  refusedStatus,
  serveUpgrades,
  silentLogger,
  socketGauge,
} from './test-harness.js';

const bearer = { headers: { authorization: `Bearer ${GOOD_TOKEN}` } };

test('gatewayModule wires the context: authenticate, origins, metrics, env heartbeat', async (t) => {
  const metrics = new Registry();
  const config = toPlatformConfig(loadEnv(platformEnvSchema, {}));
  // Only what the gateway reads; it keeps no data and uses neither bus nor cache yet.
  const ctx: ServiceContext = {
    name: 'gateway',
    config: {
      ...config,
      http: { ...config.http, corsAllowedOrigins: ['https://app.kith.example'] },
    },
    logger: silentLogger(),
    metrics,
    database: undefined,
    bus: undefined as never,
    cache: undefined as never,
    pageTokens: undefined as never,
    clock: () => new Date('2026-01-02T03:04:05Z'),
    rateLimiter: undefined as never,
    env: { GATEWAY_HEARTBEAT_MS: '75' },
    derivedSecret: () => undefined,
    authenticate: fakeAuthenticate(),
    clientAddress: (req) => req.socket.remoteAddress ?? '',
  };
  assert.equal(gatewayModule.migrations, undefined);
  const parts = await gatewayModule.create(ctx);
  t.after(() => parts.close?.());
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
});
