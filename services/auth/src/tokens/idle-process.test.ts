import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { MfaChallenge, TokenPair } from '@kith/gen/kith/auth/v1/types_pb.js';
import { totpAt } from '../mfa/totp.js';
import { deviceClient, seedUser, signIn, startAuthHarness } from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

/**
 * Longer than every cache on the sign-in paths (signing keys are re-read after 30 s), shorter
 * than a refresh token's life: the process simply sat idle between two requests.
 */
const IDLE_MS = 10 * 60_000;

// The harness is the embedded process (PGlite, one session): a query outside the session
// transaction's `trx` fails there with SessionLockError, which a client sees as `internal`.
describe('an embedded process left idle', () => {
  let h: AuthHarness;

  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  it('signs in again and refreshes after idling past every cache lifetime', async () => {
    const user = await h.signUp();
    const client = deviceClient(h);
    await signIn(client, user);
    h.clock.advance(IDLE_MS);
    const second = await signIn(client, user);
    assert.equal(second.userId, user.userId);
    h.clock.advance(IDLE_MS);
    const refreshed = await client.refresh({ refreshToken: second.refreshToken });
    assert.equal(refreshed.tokens?.userId, user.userId);
    assert.notEqual(refreshed.tokens?.refreshToken, second.refreshToken);
  });

  it('completes a TOTP challenge after idling past every cache lifetime', async () => {
    const { totp, ...account } = await seedUser(h, { totp: true });
    h.clock.advance(IDLE_MS);
    const login = await deviceClient(h).login({
      identifier: account.username,
      password: account.password,
    });
    assert.equal(login.result.case, 'mfaChallenge');
    const challenge = login.result.value as MfaChallenge;
    h.clock.advance(IDLE_MS / 100);
    const done = await deviceClient(h).completeMfa({
      challengeToken: challenge.challengeToken,
      factor: { case: 'totpCode', value: totpAt(totp.secret, h.clock.now()) },
    });
    const tokens = done.tokens as TokenPair;
    assert.equal(tokens.userId, account.userId);
  });
});
