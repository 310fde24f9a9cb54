import assert from 'node:assert/strict';
import { test } from 'vitest';
import { loadEnv, platformEnvSchema, toPlatformConfig } from '@kith/config';
import { startupWarnings } from './startup-warnings.js';

const configOf = (env: Record<string, string>) => toPlatformConfig(loadEnv(platformEnvSchema, env));

test('production without TRUST_PROXY or TRUST_PROXY_CIDRS warns that clients share one address', () => {
  const warnings = startupWarnings(configOf({ NODE_ENV: 'production' }));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /TRUST_PROXY is unset in production/);
  assert.deepEqual(
    startupWarnings(configOf({ NODE_ENV: 'production', TRUST_PROXY: 'false' })),
    warnings,
  );
});

test('no proxy warning when proxies are configured or outside production', () => {
  assert.deepEqual(startupWarnings(configOf({ NODE_ENV: 'production', TRUST_PROXY: '1' })), []);
  assert.deepEqual(
    startupWarnings(configOf({ NODE_ENV: 'production', TRUST_PROXY_CIDRS: '10.0.0.0/8' })),
    [],
  );
  assert.deepEqual(startupWarnings(configOf({})), []);
});
