import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'vitest';
import { addressHash, optOutToken, verifyOptOutToken } from './contact-keys.js';

const key = crypto.randomBytes(32);
const USER = '0190f2f6-6f3c-7cc0-8b5c-7a0000000001';
const OTHER = '0190f2f6-6f3c-7cc0-8b5c-7a0000000002';

test('an address hashes the same however it is written, and differently for another user', () => {
  const a = addressHash(key, USER, 'email', 'Ana@Example.org ');
  assert.deepEqual(a, addressHash(key, USER, 'email', 'ana@example.org'));
  assert.notDeepEqual(a, addressHash(key, OTHER, 'email', 'ana@example.org'));
  assert.notDeepEqual(a, addressHash(crypto.randomBytes(32), USER, 'email', 'ana@example.org'));
  assert.equal(addressHash(key, USER, 'phone', ''), null);
});

test('an opt-out token verifies under its key only, and not once altered', () => {
  const noticeId = crypto.randomUUID();
  const token = optOutToken(key, noticeId);
  assert.equal(verifyOptOutToken(key, token), noticeId);
  assert.equal(verifyOptOutToken(crypto.randomBytes(32), token), undefined);
  assert.equal(verifyOptOutToken(key, `${crypto.randomUUID()}.${token.split('.')[1]}`), undefined);
  assert.equal(verifyOptOutToken(key, `${token}x`), undefined);
  assert.equal(verifyOptOutToken(key, ''), undefined);
});
