import assert from 'node:assert/strict';
import { test } from 'vitest';
import { API_KEY_SCOPES } from '@kith/authn';
import { ApiKeyScope, ApiKeyScopeSchema } from '@kith/gen/kith/auth/v1/types_pb.js';
import { scopeFromName, scopeName } from './scopes.js';

test('every ApiKeyScope maps to its own authn scope string and back', () => {
  const values = ApiKeyScopeSchema.values.map((v) => v.number as ApiKeyScope);
  const defined = values.filter((v) => v !== ApiKeyScope.UNSPECIFIED);
  const names = defined.map(scopeName);
  assert.deepEqual([...names].sort(), [...API_KEY_SCOPES].sort());
  for (const value of defined) assert.equal(scopeFromName(scopeName(value)), value);
});

test('the SOS scope is its own string, distinct from support:write', () => {
  assert.equal(scopeName(ApiKeyScope.SOS_RAISE), 'sos:raise');
  assert.equal(scopeName(ApiKeyScope.SUPPORT_WRITE), 'support:write');
});

test('UNSPECIFIED is refused and unknown strings map to UNSPECIFIED', () => {
  assert.throws(() => scopeName(ApiKeyScope.UNSPECIFIED), { name: 'InvalidArgumentError' });
  assert.equal(scopeFromName('admin:everything'), ApiKeyScope.UNSPECIFIED);
});
