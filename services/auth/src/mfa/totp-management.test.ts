import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Client } from '@connectrpc/connect';
import { Code } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import {
  TOTP_STEP_MS,
  auditTrail,
  deviceClient,
  enableTotp,
  keptDevice,
  rejectsWith,
  seedUser,
  signedInClient,
  startAuthHarness,
  violatedFields,
} from '../testing/index.js';
import type { AuthHarness, KeptDevice, TestAccount } from '../testing/index.js';
import { hashRecoveryCode } from './recovery-codes.js';
import { totpAt } from './totp.js';

const MINUTE = 60_000;

describe('TOTP enrolment and management', () => {
  let h: AuthHarness;

  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  async function signedIn(): Promise<{
    account: TestAccount;
    client: Client<typeof AuthService>;
    refreshToken: string;
    device: KeptDevice;
  }> {
    const account = await seedUser(h, { signedIn: false });
    const device = keptDevice(h);
    const tokens = await device.signIn(account);
    return {
      account,
      client: signedInClient(h, tokens.accessToken),
      refreshToken: tokens.refreshToken,
      device,
    };
  }

  async function enabled() {
    const session = await signedIn();
    return { ...session, ...(await enableTotp(h, session.client, session.account.password)) };
  }

  const accountRow = (id: string) =>
    h.app.database.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  it('enrols: a pending sealed secret, confirmed by a first code, then ten recovery codes', async () => {
    const { account, client } = await signedIn();
    const enrolment = await client.enrollTotp({ currentPassword: account.password });
    assert.match(enrolment.secret, /^[A-Z2-7]{32}$/);
    assert.ok(enrolment.otpauthUri.startsWith('otpauth://totp/'));
    assert.ok(enrolment.otpauthUri.includes(account.username));
    assert.ok(enrolment.otpauthUri.includes(`secret=${enrolment.secret}`));
    assert.equal(
      Number(enrolment.expiresAt?.seconds),
      Math.floor((h.clock.now().getTime() + 10 * MINUTE) / 1000),
    );
    const pending = await accountRow(account.userId);
    assert.equal(pending.totp_enabled_at, null);
    assert.ok(pending.totp_pending_secret_enc);
    assert.ok(!pending.totp_pending_secret_enc.includes(enrolment.secret), 'stored sealed');
    assert.equal((await client.getAccount({})).account?.totpEnabled, false);

    const wrong = await rejectsWith(
      client.confirmTotp({
        totpCode: '000000' === totpAt(enrolment.secret, h.clock.now()) ? '111111' : '000000',
      }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(wrong), ['totp_code']);

    const { recoveryCodes } = await client.confirmTotp({
      totpCode: totpAt(enrolment.secret, h.clock.now()),
    });
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    const row = await accountRow(account.userId);
    assert.ok(row.totp_enabled_at);
    assert.equal(row.totp_pending_secret_enc, null);
    assert.ok(row.totp_secret_enc && !row.totp_secret_enc.includes(enrolment.secret));
    const stored = await h.app.database.db
      .selectFrom('recovery_codes')
      .select('code_hash')
      .where('account_id', '=', account.userId)
      .execute();
    // Only the hashes are stored: one per code handed out, and nothing else.
    assert.deepEqual(
      new Set(stored.map((r) => r.code_hash)),
      new Set(recoveryCodes.map((code) => hashRecoveryCode(h.app.recoveryCodeKey, code))),
    );
    assert.equal(stored.length, 10);
    assert.equal((await client.getAccount({})).account?.totpEnabled, true);
    const types = (await auditTrail(h, account.userId)).map((e) => e.type);
    assert.deepEqual(types, ['login_succeeded', 'mfa_failed', 'mfa_enrolled']);

    const again = await rejectsWith(
      client.enrollTotp({ currentPassword: account.password }),
      Code.FailedPrecondition,
    );
    assert.match(again.rawMessage, /already enabled/);
  });

  it('lets an unconfirmed enrolment lapse after 10 minutes', async () => {
    const { account, client } = await signedIn();
    const { secret } = await client.enrollTotp({ currentPassword: account.password });
    h.clock.advance(10 * MINUTE);
    await rejectsWith(
      client.confirmTotp({ totpCode: totpAt(secret, h.clock.now()) }),
      Code.FailedPrecondition,
    );
  });

  it('needs a recent re-authentication to enrol, disable or regenerate', async () => {
    const REAUTH = /reauthentication required/;
    const withoutTotp = await signedIn();
    const { account, refreshToken, secret } = await enabled();
    h.clock.advance(61 * MINUTE);
    const staleClient = async (token: string) =>
      signedInClient(
        h,
        (await deviceClient(h).refresh({ refreshToken: token })).tokens!.accessToken,
      );

    // Enrolment, on an account without TOTP whose sign-in is over an hour old.
    const staleWithoutTotp = await staleClient(withoutTotp.refreshToken);
    const staleEnrol = await rejectsWith(
      staleWithoutTotp.enrollTotp({ currentPassword: withoutTotp.account.password }),
      Code.FailedPrecondition,
    );
    assert.match(staleEnrol.rawMessage, REAUTH);
    assert.equal(
      (await accountRow(withoutTotp.account.userId)).totp_pending_secret_enc,
      null,
      'no enrolment started',
    );
    const reauthWithoutTotp = await staleWithoutTotp.reauthenticate({
      factor: { case: 'password', value: withoutTotp.account.password },
    });
    await signedInClient(h, reauthWithoutTotp.tokens!.accessToken).enrollTotp({
      currentPassword: withoutTotp.account.password,
    });

    const stale = await staleClient(refreshToken);
    const code = totpAt(secret, h.clock.now());
    const staleDisable = await rejectsWith(
      stale.disableTotp({ factor: { case: 'totpCode', value: code } }),
      Code.FailedPrecondition,
    );
    assert.match(staleDisable.rawMessage, REAUTH);
    const staleRegenerate = await rejectsWith(
      stale.regenerateRecoveryCodes({ totpCode: code }),
      Code.FailedPrecondition,
    );
    assert.match(staleRegenerate.rawMessage, REAUTH);
    assert.ok((await accountRow(account.userId)).totp_enabled_at, 'still enabled');

    const reauth = await stale.reauthenticate({
      factor: { case: 'password', value: account.password },
    });
    await signedInClient(h, reauth.tokens!.accessToken).disableTotp({
      factor: { case: 'totpCode', value: code },
    });
    assert.equal((await accountRow(account.userId)).totp_enabled_at, null);
  });

  it('disables with a fresh TOTP code (not a replayed one), mails the owner, and logins stop asking', async () => {
    const { account, client, secret, device } = await enabled();
    const code = totpAt(secret, h.clock.now());
    await client.regenerateRecoveryCodes({ totpCode: code });
    const replay = await rejectsWith(
      client.disableTotp({ factor: { case: 'totpCode', value: code } }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(replay), ['totp_code']);

    h.clock.advance(TOTP_STEP_MS);
    await client.disableTotp({
      factor: { case: 'totpCode', value: totpAt(secret, h.clock.now()) },
    });
    const row = await accountRow(account.userId);
    assert.equal(row.totp_enabled_at, null);
    assert.equal(row.totp_secret_enc, null);
    assert.equal(row.totp_last_step, null);
    const codes = await h.app.database.db
      .selectFrom('recovery_codes')
      .select('id')
      .where('account_id', '=', account.userId)
      .execute();
    assert.equal(codes.length, 0);
    const mail = await h.lastMailTo(account.email);
    assert.equal(mail.subject, 'Two-step verification was turned off');
    const types = (await auditTrail(h, account.userId)).map((e) => e.type);
    assert.deepEqual(types.slice(-3), ['recovery_codes_regenerated', 'mfa_failed', 'mfa_disabled']);

    await device.signIn(account);
    await rejectsWith(
      client.disableTotp({ factor: { case: 'totpCode', value: '123456' } }),
      Code.FailedPrecondition,
    );
  });

  it('disables with a recovery code', async () => {
    const { account, client, recoveryCodes } = await enabled();
    const wrong = await rejectsWith(
      client.disableTotp({ factor: { case: 'recoveryCode', value: 'aaaa-aaaa' } }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(wrong), ['recovery_code']);
    await client.disableTotp({ factor: { case: 'recoveryCode', value: recoveryCodes[3]! } });
    assert.equal((await accountRow(account.userId)).totp_enabled_at, null);
  });

  it('regenerates recovery codes: the old ones stop working, the new ones work', async () => {
    const { account, client, secret, recoveryCodes: old } = await enabled();
    const wrong = await rejectsWith(
      client.regenerateRecoveryCodes({
        totpCode: totpAt(secret, h.clock.now()) === '000000' ? '111111' : '000000',
      }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(wrong), ['totp_code']);
    const { recoveryCodes } = await client.regenerateRecoveryCodes({
      totpCode: totpAt(secret, h.clock.now()),
    });
    assert.equal(recoveryCodes.length, 10);
    assert.ok(recoveryCodes.every((c) => !old.includes(c)));

    const login = await deviceClient(h).login({
      identifier: account.email,
      password: account.password,
    });
    assert.equal(login.result.case, 'mfaChallenge');
    const token = login.result.value.challengeToken;
    await rejectsWith(
      deviceClient(h).completeMfa({
        challengeToken: token,
        factor: { case: 'recoveryCode', value: old[0]! },
      }),
      Code.InvalidArgument,
    );
    const done = await deviceClient(h).completeMfa({
      challengeToken: token,
      factor: { case: 'recoveryCode', value: recoveryCodes[0]! },
    });
    assert.equal(done.tokens?.userId, account.userId);
  });
});
