import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Code } from '@connectrpc/connect';
import { MfaMethod } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { MfaChallenge } from '@kith/gen/kith/auth/v1/types_pb.js';
import {
  TOTP_STEP_MS,
  auditTrail,
  deviceClient,
  rejectsWith,
  seedUser,
  signedInClient,
  startAuthHarness,
  violatedFields,
} from '../testing/index.js';
import type { AuthHarness, TestAccount } from '../testing/index.js';
import { totpAt } from './totp.js';

describe('Login with TOTP', () => {
  let h: AuthHarness;

  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  /** A verified account that enrolled and confirmed TOTP; the clock is one step later. */
  async function withTotp(): Promise<TestAccount & { secret: string; recoveryCodes: string[] }> {
    const { totp, ...account } = await seedUser(h, { totp: true });
    return { ...account, ...totp };
  }

  async function challenge(account: TestAccount): Promise<MfaChallenge> {
    const response = await deviceClient(h).login({
      identifier: account.username,
      password: account.password,
    });
    assert.equal(response.result.case, 'mfaChallenge');
    return response.result.value as MfaChallenge;
  }

  const answer = (
    token: string,
    factor: { case: 'totpCode' | 'recoveryCode' | 'emailCode'; value: string },
  ) => deviceClient(h).completeMfa({ challengeToken: token, factor });

  it('answers the password with a challenge, and the challenge with tokens', async () => {
    const account = await withTotp();
    const first = await challenge(account);
    assert.deepEqual(first.methods, [MfaMethod.TOTP, MfaMethod.RECOVERY_CODE]);
    assert.equal(first.emailHint, '');
    assert.match(first.challengeToken, /^kith_mfa_/);

    const done = await answer(first.challengeToken, {
      case: 'totpCode',
      value: totpAt(account.secret, h.clock.now()),
    });
    assert.equal(done.tokens?.userId, account.userId);
    const me = await signedInClient(h, done.tokens!.accessToken).getAccount({});
    assert.equal(me.account?.totpEnabled, true);
    assert.equal(me.account?.recoveryCodesRemaining, 10);
    const types = (await auditTrail(h, account.userId)).map((e) => e.type);
    assert.deepEqual(types.slice(-3), ['mfa_enrolled', 'login_challenged', 'mfa_succeeded']);
  });

  it('refuses a TOTP code already used, also in another challenge', async () => {
    const account = await withTotp();
    const code = totpAt(account.secret, h.clock.now());
    const first = await challenge(account);
    await answer(first.challengeToken, { case: 'totpCode', value: code });

    const second = await challenge(account);
    const err = await rejectsWith(
      answer(second.challengeToken, { case: 'totpCode', value: code }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(err), ['totp_code']);
    assert.equal(err.rawMessage, 'invalid code');
    h.clock.advance(TOTP_STEP_MS);
    const done = await answer(second.challengeToken, {
      case: 'totpCode',
      value: totpAt(account.secret, h.clock.now()),
    });
    assert.equal(done.tokens?.userId, account.userId);
  });

  it('takes each recovery code once, with or without its dash', async () => {
    const account = await withTotp();
    const [code] = account.recoveryCodes;
    assert.match(code!, /^[a-z0-9]{4}-[a-z0-9]{4}$/);
    const first = await challenge(account);
    const done = await answer(first.challengeToken, {
      case: 'recoveryCode',
      value: code!.replace('-', ''),
    });
    assert.equal(done.tokens?.userId, account.userId);
    const me = await signedInClient(h, done.tokens!.accessToken).getAccount({});
    assert.equal(me.account?.recoveryCodesRemaining, 9);

    const second = await challenge(account);
    const err = await rejectsWith(
      answer(second.challengeToken, { case: 'recoveryCode', value: code! }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(err), ['recovery_code']);
    await answer(second.challengeToken, { case: 'recoveryCode', value: account.recoveryCodes[1]! });
  });

  it('is no bearer token: the challenge token opens nothing else', async () => {
    const account = await withTotp();
    const first = await challenge(account);
    await rejectsWith(signedInClient(h, first.challengeToken).getAccount({}), Code.Unauthenticated);
    await rejectsWith(
      deviceClient(h).refresh({ refreshToken: first.challengeToken }),
      Code.Unauthenticated,
    );
    // And it still works for what it is for.
    await answer(first.challengeToken, {
      case: 'totpCode',
      value: totpAt(account.secret, h.clock.now()),
    });
  });

  it('expires after 5 minutes', async () => {
    const account = await withTotp();
    const first = await challenge(account);
    h.clock.advance(5 * 60_000);
    const err = await rejectsWith(
      answer(first.challengeToken, {
        case: 'totpCode',
        value: totpAt(account.secret, h.clock.now()),
      }),
      Code.Unauthenticated,
    );
    assert.equal(err.rawMessage, 'challenge expired');
  });

  it('burns the challenge after 5 wrong answers', async () => {
    const account = await withTotp();
    const first = await challenge(account);
    const good = totpAt(account.secret, h.clock.now());
    const bad = good === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      await rejectsWith(
        answer(first.challengeToken, { case: 'totpCode', value: bad }),
        Code.InvalidArgument,
      );
    }
    const err = await rejectsWith(
      answer(first.challengeToken, { case: 'totpCode', value: good }),
      Code.Unauthenticated,
    );
    assert.equal(err.rawMessage, 'challenge expired');
    const failures = (await auditTrail(h, account.userId)).filter((e) => e.type === 'mfa_failed');
    assert.equal(failures.length, 5);
    // A new login gets a new challenge.
    const second = await challenge(account);
    await answer(second.challengeToken, { case: 'totpCode', value: good });
  });

  it('refuses an unknown challenge token like an expired one', async () => {
    const err = await rejectsWith(
      answer(`kith_mfa_${'x'.repeat(43)}`, { case: 'totpCode', value: '123456' }),
      Code.Unauthenticated,
    );
    assert.equal(err.rawMessage, 'challenge expired');
  });
});
