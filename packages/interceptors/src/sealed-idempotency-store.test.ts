import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'vitest';
import type { BeginResult, IdempotencyStore } from './idempotency-store.js';
import { FailedPreconditionError } from '@kith/errors';
import { sealedIdempotencyStore } from './sealed-idempotency-store.js';

/** The simplest real store: a Map, so the test can look at what would reach the database. */
function mapStore() {
  const rows = new Map<string, { hash: string; response?: Uint8Array }>();
  const store: IdempotencyStore = {
    async begin(scope, key, requestHash): Promise<BeginResult> {
      const row = rows.get(`${scope}|${key}`);
      if (!row) {
        rows.set(`${scope}|${key}`, { hash: requestHash });
        return { state: 'started' };
      }
      return row.response
        ? { state: 'completed', requestHash: row.hash, response: row.response }
        : { state: 'in_progress', requestHash: row.hash };
    },
    async complete(scope, key, response) {
      rows.get(`${scope}|${key}`)!.response = response;
    },
    async release(scope, key) {
      rows.delete(`${scope}|${key}`);
    },
  };
  return { rows, store };
}

test('stored responses are sealed, replay intact, and refuse another scope or tampering', async () => {
  const { rows, store } = mapStore();
  const sealed = sealedIdempotencyStore(store, crypto.randomBytes(32));
  const secret = new TextEncoder().encode('kith_rt_very-secret-refresh-token');
  assert.equal((await sealed.begin('u1|Refresh', 'key-1', 'h')).state, 'started');
  await sealed.complete('u1|Refresh', 'key-1', secret);
  const raw = Buffer.from(rows.get('u1|Refresh|key-1')!.response!);
  assert.ok(!raw.includes(Buffer.from('very-secret')), 'the database never sees the plaintext');
  const replay = await sealed.begin('u1|Refresh', 'key-1', 'h');
  assert.equal(replay.state, 'completed');
  assert.deepEqual(Buffer.from((replay as { response: Uint8Array }).response), Buffer.from(secret));

  // The same ciphertext moved under another caller's scope does not open.
  rows.set('u2|Refresh|key-1', { hash: 'h', response: raw });
  await assert.rejects(sealed.begin('u2|Refresh', 'key-1', 'h'), FailedPreconditionError);
  raw[20] = raw[20]! ^ 1;
  rows.set('u1|Refresh|key-1', { hash: 'h', response: raw });
  await assert.rejects(sealed.begin('u1|Refresh', 'key-1', 'h'), FailedPreconditionError);
  // After the sealing key is rotated, a stored answer is refused (never re-run), not a crash.
  const rotated = sealedIdempotencyStore(store, crypto.randomBytes(32));
  await sealed.begin('u3|Refresh', 'key-2', 'h');
  await sealed.complete('u3|Refresh', 'key-2', secret);
  await assert.rejects(rotated.begin('u3|Refresh', 'key-2', 'h'), FailedPreconditionError);
});
