import assert from 'node:assert/strict';
import { test } from 'vitest';
import { sealedIdempotencyStore } from '@kith/interceptors';
import type { IdempotencyStore } from '@kith/interceptors';
import { serviceKey } from './service-keys.js';

const secret = 'one-secret-every-process-was-given-0123456789';

/** Rows as the database holds them: whatever the sealing layer wrote, readable by anyone. */
function rowsStore(rows: Map<string, Uint8Array>): IdempotencyStore {
  return {
    async begin(scope, key) {
      const response = rows.get(`${scope}/${key}`);
      return response ? { state: 'completed', requestHash: 'h', response } : { state: 'started' };
    },
    async complete(scope, key, response) {
      rows.set(`${scope}/${key}`, response);
    },
    async release() {},
  };
}

test('each service derives its own sealing key from the shared secret', () => {
  const auth = serviceKey(secret, 'auth', 'idempotency-responses');
  assert.equal(auth.length, 32);
  assert.deepEqual(serviceKey(secret, 'auth', 'idempotency-responses'), auth);
  assert.notDeepEqual(serviceKey(secret, 'user', 'idempotency-responses'), auth);
  assert.notDeepEqual(serviceKey(secret, 'auth', 'another-purpose'), auth);
});

test('a response auth sealed cannot be opened with another service’s key', async () => {
  const rows = new Map<string, Uint8Array>();
  const auth = sealedIdempotencyStore(
    rowsStore(rows),
    serviceKey(secret, 'auth', 'idempotency-responses'),
  );
  const user = sealedIdempotencyStore(
    rowsStore(rows),
    serviceKey(secret, 'user', 'idempotency-responses'),
  );
  const tokens = new TextEncoder().encode('{"refreshToken":"kith_rt_secret"}');
  await auth.complete('alice:Login', 'key-1', tokens);

  const replayed = await auth.begin('alice:Login', 'key-1', 'h');
  assert.equal(replayed.state, 'completed');
  assert.deepEqual(replayed.state === 'completed' && replayed.response, tokens);
  await assert.rejects(user.begin('alice:Login', 'key-1', 'h'), {
    name: 'FailedPreconditionError',
  });
});
