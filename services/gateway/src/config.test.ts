import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@kith/config';
import { loadGatewayConfig } from './config.js';

test('heartbeat defaults to 30 s and slow-consumer bound to 1 MiB', () => {
  assert.deepEqual(loadGatewayConfig({}), { heartbeatMs: 30_000, maxBufferedBytes: 1024 * 1024 });
});

test('GATEWAY_HEARTBEAT_MS is read and validated', () => {
  assert.equal(loadGatewayConfig({ GATEWAY_HEARTBEAT_MS: '50' }).heartbeatMs, 50);
  assert.throws(() => loadGatewayConfig({ GATEWAY_HEARTBEAT_MS: 'soon' }), ConfigError);
  assert.throws(() => loadGatewayConfig({ GATEWAY_HEARTBEAT_MS: '1' }), ConfigError);
});
