import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { hash as argon2Hash } from '@node-rs/argon2';
import type { Algorithm } from '@node-rs/argon2';
import { createPasswordHasher, OWASP_ARGON2ID, type Argon2idParams } from './password-hasher.js';

// Cheap parameters keep the suite fast; the OWASP ones are exercised once below.
const fast: Argon2idParams = { memoryCost: 1024, timeCost: 2, parallelism: 1 };

describe('password hasher', () => {
  test('uses argon2id at the OWASP parameters by default', async () => {
    const hasher = createPasswordHasher();
    const encoded = await hasher.hash('correct horse');
    assert.match(encoded, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.deepEqual(await hasher.verify(encoded, 'correct horse'), {
      ok: true,
      needsRehash: false,
    });
    assert.deepEqual(OWASP_ARGON2ID, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  test('round-trips, with a fresh salt per hash', async () => {
    const hasher = createPasswordHasher(fast);
    const a = await hasher.hash('tr0ub4dor&3');
    const b = await hasher.hash('tr0ub4dor&3');
    assert.notEqual(a, b, 'salted');
    assert.deepEqual(await hasher.verify(a, 'tr0ub4dor&3'), { ok: true, needsRehash: false });
    assert.deepEqual(await hasher.verify(b, 'tr0ub4dor&3'), { ok: true, needsRehash: false });
  });

  test('rejects a wrong password, including one differing only by case or whitespace', async () => {
    const hasher = createPasswordHasher(fast);
    const encoded = await hasher.hash('Secret words 1');
    for (const wrong of [
      'Secret words 2',
      'secret words 1',
      ' Secret words 1',
      'Secret words 1 ',
    ]) {
      assert.deepEqual(
        await hasher.verify(encoded, wrong),
        { ok: false, needsRehash: false },
        wrong,
      );
    }
  });

  test('asks for a rehash when the stored parameters are older than the current ones', async () => {
    const old = createPasswordHasher({ ...fast, timeCost: 1 });
    const current = createPasswordHasher(fast);
    const encoded = await old.hash('upgrade me please');
    assert.deepEqual(await current.verify(encoded, 'upgrade me please'), {
      ok: true,
      needsRehash: true,
    });
    assert.deepEqual(await current.verify(encoded, 'wrong'), { ok: false, needsRehash: true });
    const rehashed = await current.hash('upgrade me please');
    assert.deepEqual(await current.verify(rehashed, 'upgrade me please'), {
      ok: true,
      needsRehash: false,
    });
  });

  test('asks for a rehash when memory, lanes, algorithm or output length differ', async () => {
    const current = createPasswordHasher(fast);
    const password = 'same password';
    const variants = [
      await argon2Hash(password, { ...fast, memoryCost: 2048 }),
      await argon2Hash(password, { ...fast, parallelism: 2 }),
      await argon2Hash(password, { ...fast, algorithm: 1 as Algorithm }), // argon2i
      await argon2Hash(password, { ...fast, outputLen: 16 }),
    ];
    for (const encoded of variants) {
      assert.deepEqual(await current.verify(encoded, password), { ok: true, needsRehash: true });
    }
  });

  test('takes passwords exactly as typed: NFC and NFD spellings are different passwords', async () => {
    const hasher = createPasswordHasher(fast);
    const nfc = 'pässwörd'.normalize('NFC');
    const nfd = 'pässwörd'.normalize('NFD');
    assert.notEqual(nfc, nfd);
    const encoded = await hasher.hash(nfc);
    assert.equal((await hasher.verify(encoded, nfc)).ok, true);
    assert.equal((await hasher.verify(encoded, nfd)).ok, false);
    const emoji = await hasher.hash('🔑🦊 clé');
    assert.equal((await hasher.verify(emoji, '🔑🦊 clé')).ok, true);
  });

  test('a malformed stored hash is a failed login asking for a rehash, never a throw', async () => {
    const kinds: string[] = [];
    const hasher = createPasswordHasher(fast, { onVerify: (kind) => kinds.push(kind) });
    const good = await hasher.hash('anything');
    const malformed = [
      '',
      'not a hash',
      '$2b$10$abcdefghijklmnopqrstuuJ1ZlGqYH4Ctc7QnKGd.q4Rk2Zl0yZ2C', // bcrypt
      good.slice(0, good.lastIndexOf('$')), // digest cut off
      good.replace('$argon2id$', '$argon3$'),
    ];
    for (const encoded of malformed) {
      assert.deepEqual(
        await hasher.verify(encoded, 'anything'),
        { ok: false, needsRehash: true },
        encoded,
      );
    }
    // Each still paid for a full verification, like a wrong password on a real account.
    assert.deepEqual(
      kinds,
      malformed.map(() => 'dummy'),
    );
  });

  test('verifyDummy runs a real argon2 verification and is always false', async () => {
    const kinds: string[] = [];
    const hasher = createPasswordHasher(fast, { onVerify: (kind) => kinds.push(kind) });
    const encoded = await hasher.hash('known account');
    await hasher.verify(encoded, 'known account');
    await hasher.verify(encoded, 'guess');
    assert.equal(await hasher.verifyDummy('known account'), false);
    assert.equal(await hasher.verifyDummy(''), false);
    assert.deepEqual(kinds, ['account', 'account', 'dummy', 'dummy']);
  });
});
