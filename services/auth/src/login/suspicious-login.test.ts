import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Code } from '@connectrpc/connect';
import { MfaMethod } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { MfaChallenge } from '@kith/gen/kith/auth/v1/types_pb.js';
import {
  auditTrail,
  deviceClient,
  keptDevice,
  rejectsWith,
  seedUser,
  signIn,
  startAuthHarness,
  uniqueUser,
  violatedFields,
} from '../testing/index.js';
import type { AuthHarness, KeptDevice, TestAccount } from '../testing/index.js';

const DAY = 24 * 3600_000;
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1';

describe('Suspicious logins', () => {
  let h: AuthHarness;

  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  async function challengeFor(account: TestAccount, device: KeptDevice): Promise<MfaChallenge> {
    const response = await device.login(account);
    assert.equal(response.result.case, 'mfaChallenge', 'expected a challenge');
    return response.result.value as MfaChallenge;
  }

  async function mailedCode(account: TestAccount): Promise<string> {
    const mail = await h.lastMailTo(account.email);
    assert.equal(mail.subject, 'Your Kith sign-in code');
    const code = /^ {4}([A-Z0-9]{6})$/m.exec(mail.text)?.[1];
    assert.ok(code, 'the mail carries a 6-character code');
    return code;
  }

  it('does not challenge the first login after sign-up', async () => {
    const user = await h.signUp({ userAgent: LAPTOP });
    // h.signUp itself insists that its login got tokens; a new device is challenged after it.
    const challenge = await challengeFor(user, keptDevice(h, { userAgent: PHONE }));
    assert.deepEqual(challenge.methods, [MfaMethod.EMAIL_CODE]);
  });

  it('does not challenge the first login, nor later ones from the same device', async () => {
    const account = await seedUser(h, { signedIn: false });
    const laptop = keptDevice(h, { userAgent: LAPTOP });
    await laptop.signIn(account);
    await laptop.signIn(account);
    // From another network, with another browser version: the credential is what counts.
    await signIn(deviceClient(h, { userAgent: `${LAPTOP} Firefox/141.0` }), {
      ...account,
      deviceToken: laptop.deviceToken,
    });
  });

  it("challenges a login that copies a known device's user agent but not its credential", async () => {
    const account = await seedUser(h, { signedIn: false });
    const laptop = keptDevice(h, { userAgent: LAPTOP });
    await laptop.signIn(account);
    // Same address, same user agent: headers anyone can copy prove nothing.
    const copycat = deviceClient(h, { userAgent: LAPTOP, ip: '127.0.0.1' });
    const copied = await copycat.login({ identifier: account.email, password: account.password });
    assert.equal(copied.result.case, 'mfaChallenge');
    assert.equal(copied.deviceToken, '', 'no credential handed out with a challenge');

    // Another account's credential does not make this one's device known either.
    const other = await seedUser(h);
    const borrowed = await copycat.login({
      identifier: account.email,
      password: account.password,
      deviceToken: other.deviceToken,
    });
    assert.equal(borrowed.result.case, 'mfaChallenge');
  });

  /** A device that passed the mailed-code challenge once, so it is known to the account. */
  async function deviceKnownTo(account: TestAccount): Promise<KeptDevice> {
    const device = keptDevice(h, { userAgent: PHONE });
    const completion = await device.client.completeMfa({
      challengeToken: (await challengeFor(account, device)).challengeToken,
      factor: { case: 'emailCode', value: await mailedCode(account) },
      deviceToken: device.deviceToken,
    });
    device.deviceToken = completion.deviceToken;
    await device.signIn(account);
    return device;
  }

  it("forgets every known device on ChangePassword and LogoutAll: an intruder's device is new again", async () => {
    const owner = await seedUser(h);
    // The intruder knew the password once and kept the device credential it was handed.
    const intruder = await deviceKnownTo(owner);
    const newPassword = 'a fresh and sturdy passphrase 2026';
    const changed = await h.as(owner.accessToken).auth.changePassword({
      currentPassword: owner.password,
      newPassword,
    });
    const renewed = { ...owner, password: newPassword };
    // Even with the new password (phished again, say), the old credential skips nothing.
    assert.deepEqual((await challengeFor(renewed, intruder)).methods, [MfaMethod.EMAIL_CODE]);

    const phone = await deviceKnownTo(renewed);
    await h.as(changed.tokens!.accessToken).auth.logoutAll({});
    assert.deepEqual((await challengeFor(renewed, phone)).methods, [MfaMethod.EMAIL_CODE]);
  });

  it('keeps only a hash of the device credential, bound to its account', async () => {
    const account = await seedUser(h, { signedIn: false });
    const laptop = keptDevice(h, { userAgent: LAPTOP });
    await laptop.signIn(account);
    const rows = await h.app.database.db
      .selectFrom('known_devices')
      .selectAll()
      .where('account_id', '=', account.userId)
      .execute();
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0]?.token_hash, laptop.deviceToken);
    assert.ok(!rows[0]?.token_hash.includes(laptop.deviceToken.slice('kith_dev_'.length)));
    await laptop.signIn(account);
    const after = await h.app.database.db
      .selectFrom('known_devices')
      .select('id')
      .where('account_id', '=', account.userId)
      .execute();
    assert.equal(after.length, 1, 'a known device keeps its credential');
  });

  it('mails a code for a login from a new device; the code completes it once', async () => {
    // Typed with capitals: the hint keeps the first letter as the owner typed it.
    const account = await seedUser(h, {
      signedIn: false,
      email: `Person.${uniqueUser().username}@Example.com`,
    });
    await keptDevice(h, { userAgent: LAPTOP }).signIn(account);

    const phone = keptDevice(h, { userAgent: PHONE });
    const challenge = await challengeFor(account, phone);
    assert.deepEqual(challenge.methods, [MfaMethod.EMAIL_CODE]);
    assert.match(challenge.emailHint, /^P\*\*\*@example\.com$/);
    assert.match(challenge.challengeToken, /^kith_mfa_/);
    assert.equal(
      Number(challenge.expiresAt?.seconds) * 1000,
      Math.floor((h.clock.now().getTime() + 5 * 60_000) / 1000) * 1000,
    );
    const code = await mailedCode(account);
    assert.match(code, /^[A-HJ-NP-Z2-9]{6}$/, 'no 0/O/1/I');

    const completion = await phone.client.completeMfa({
      challengeToken: challenge.challengeToken,
      factor: { case: 'emailCode', value: code },
    });
    const tokens = completion.tokens!;
    assert.match(completion.deviceToken, /^kith_dev_/);
    phone.deviceToken = completion.deviceToken;
    assert.equal(tokens.userId, account.userId);
    const session = await h.app.database.db
      .selectFrom('sessions')
      .select('user_agent')
      .where('id', '=', tokens.sessionId)
      .executeTakeFirstOrThrow();
    assert.equal(session.user_agent, PHONE);

    const again = await rejectsWith(
      deviceClient(h).completeMfa({
        challengeToken: challenge.challengeToken,
        factor: { case: 'emailCode', value: code },
      }),
      Code.Unauthenticated,
    );
    assert.equal(again.rawMessage, 'challenge expired');
    // The phone is a known device now.
    await phone.signIn(account);
    const types = (await auditTrail(h, account.userId)).map((e) => e.type);
    assert.deepEqual(types, [
      'login_succeeded',
      'login_challenged',
      'mfa_succeeded',
      'login_succeeded',
    ]);
  });

  it('refuses a wrong code and factors the challenge did not offer', async () => {
    const account = await seedUser(h, { signedIn: false });
    await keptDevice(h, { userAgent: LAPTOP }).signIn(account);
    const challenge = await challengeFor(account, keptDevice(h, { userAgent: PHONE }));
    const code = await mailedCode(account);
    const client = deviceClient(h, { userAgent: PHONE });
    const wrongCode = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
    const wrong = await rejectsWith(
      client.completeMfa({
        challengeToken: challenge.challengeToken,
        factor: { case: 'emailCode', value: wrongCode },
      }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(wrong), ['email_code']);
    const totp = await rejectsWith(
      client.completeMfa({
        challengeToken: challenge.challengeToken,
        factor: { case: 'totpCode', value: '123456' },
      }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(totp), ['totp_code']);
    const done = await client.completeMfa({
      challengeToken: challenge.challengeToken,
      factor: { case: 'emailCode', value: code },
    });
    assert.equal(done.tokens?.userId, account.userId);
  });

  it('lets the mailed code expire after 5 minutes', async () => {
    const account = await seedUser(h, { signedIn: false });
    await keptDevice(h, { userAgent: LAPTOP }).signIn(account);
    const challenge = await challengeFor(account, keptDevice(h, { userAgent: PHONE }));
    const code = await mailedCode(account);
    h.clock.advance(5 * 60_000);
    const err = await rejectsWith(
      deviceClient(h).completeMfa({
        challengeToken: challenge.challengeToken,
        factor: { case: 'emailCode', value: code },
      }),
      Code.Unauthenticated,
    );
    assert.equal(err.rawMessage, 'challenge expired');
  });

  it('challenges a known device after a long absence', async () => {
    const account = await seedUser(h, { signedIn: false });
    const laptop = keptDevice(h, { userAgent: LAPTOP });
    await laptop.signIn(account);
    h.clock.advance(89 * DAY);
    await laptop.signIn(account);
    h.clock.advance(91 * DAY);
    const challenge = await challengeFor(account, laptop);
    assert.deepEqual(challenge.methods, [MfaMethod.EMAIL_CODE]);
    const code = await mailedCode(account);
    const done = await deviceClient(h, { userAgent: LAPTOP }).completeMfa({
      challengeToken: challenge.challengeToken,
      factor: { case: 'emailCode', value: code },
    });
    assert.equal(done.tokens?.userId, account.userId);
    const challenged = (await auditTrail(h, account.userId)).find(
      (e) => e.type === 'login_challenged',
    );
    assert.equal(challenged?.details.reason, 'inactivity');
  });
});
