import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { codeOf, seedUser, startAuthHarness } from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

/**
 * Someone who can write to auth's tables but does not hold the KEK (a leaked database role, a
 * SQL injection elsewhere) must not be able to add a verification key and mint admin tokens.
 */
describe('signing-key rows are trusted only when the KEK vouches for them', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  test('a public key written into signing_keys without the KEK verifies nothing', async () => {
    const user = await seedUser(h);
    const genuine = decodeJwt(user.accessToken);
    const rows = await h.app.database.db.selectFrom('signing_keys').selectAll().execute();
    const current = rows.find((r) => r.state === 'current')!;
    const attacker = await generateKeyPair('EdDSA', { extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);

    // One forged row with a junk sealed value, one beside a copy of the real sealed private key.
    for (const [kid, sealed] of [
      ['forged-junk', 'v1.AAAA.AAAA.AAAA'],
      ['forged-copy', current.private_key_enc],
    ] as const) {
      await h.app.database.db
        .insertInto('signing_keys')
        .values({
          kid,
          alg: 'EdDSA',
          public_jwk: { ...attackerJwk, kid, alg: 'EdDSA', use: 'sig' },
          private_key_enc: sealed,
          state: 'retired',
          created_at: h.clock.now(),
          activated_at: null,
          retired_at: h.clock.now(),
        })
        .execute();
      const minted = await new SignJWT({ ...genuine, role: 'admin' })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
        .sign(attacker.privateKey);
      // An unknown kid makes the store reload its rows: the forged one is read and refused.
      assert.equal(
        await codeOf(
          h.as(minted).admin.lookupAccount({ lookup: { case: 'userId', value: user.userId } }),
        ),
        Code.Unauthenticated,
        kid,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
    const published = (await h.app.keys.jwks()).keys.map((k) => k.kid);
    assert.ok(!published.includes('forged-junk') && !published.includes('forged-copy'));
    // The genuine keys still work.
    assert.equal(await codeOf(h.as(user.accessToken).auth.listSessions({})), 'ok');
  });
});
