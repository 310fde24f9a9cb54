import assert from 'node:assert/strict';
import { test } from 'vitest';
import { ConfigError } from '@kith/config';
import { loadGatewayConfig } from './config.js';

test('defaults: 30 s heartbeat, 1 MiB slow-consumer bound, 16 sockets per user, 120 upgrades a minute', () => {
  assert.deepEqual(loadGatewayConfig({}), {
    heartbeatMs: 30_000,
    maxBufferedBytes: 1024 * 1024,
    maxSocketsPerUser: 16,
    upgradesPerMinute: 120,
  });
  const set = loadGatewayConfig({
    GATEWAY_MAX_SOCKETS_PER_USER: '3',
    GATEWAY_UPGRADES_PER_MINUTE: '10',
  });
  assert.equal(set.maxSocketsPerUser, 3);
  assert.equal(set.upgradesPerMinute, 10);
  assert.throws(() => loadGatewayConfig({ GATEWAY_MAX_SOCKETS_PER_USER: '0' }), ConfigError);
});

test('GATEWAY_HEARTBEAT_MS is read and validated', () => {
  assert.equal(loadGatewayConfig({ GATEWAY_HEARTBEAT_MS: '50' }).heartbeatMs, 50);
  assert.throws(() => loadGatewayConfig({ GATEWAY_HEARTBEAT_MS: 'soon' }), ConfigError);
  assert.throws(() => loadGatewayConfig({ GATEWAY_HEARTBEAT_MS: '1' }), ConfigError);
});
