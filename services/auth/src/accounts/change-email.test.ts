import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { uuidv7 } from 'uuidv7';
import {
  CONSENT,
  deviceClient,
  rejectsWith,
  signInWithMailedCode,
  signedInClient,
  startAuthHarness,
  violations,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

let counter = 0;
const newAddress = () => `moved${Date.now().toString(36)}${(counter++).toString(36)}@example.org`;

describe('ChangeEmail', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  test('change, verify the new address, then only the new address logs in', async () => {
    const user = await h.signUp();
    const target = newAddress();
    const answer = await signedInClient(h, user.accessToken).changeEmail({
      currentPassword: user.password,
      newEmail: target,
    });
    assert.equal(answer.pendingEmail, target);

    const pending = await signedInClient(h, user.accessToken).getAccount({});
    assert.equal(pending.account?.email, user.email);
    assert.equal(pending.account?.pendingEmail, target);

    const notice = await h.lastMailTo(user.email);
    assert.equal(notice.subject, 'Your e-mail address is being changed');
    assert.ok(notice.text.includes(`m***@example.org`), notice.text);
    assert.ok(!notice.text.includes(target), 'the new address is masked');
    assert.ok(
      notice.link?.startsWith('http://app.kith.test/cancel-email-change?token=kith_ec_'),
      notice.link,
    );

    const confirm = await h.lastMailTo(target);
    assert.ok(confirm.link?.startsWith('http://app.kith.test/verify-email?token='), confirm.link);
    h.clock.advance(1000);
    const verified = await deviceClient(h).verifyEmail({ token: confirm.token! });
    assert.deepEqual([verified.userId, verified.email], [user.userId, target]);

    // The change ends every session.
    await rejectsWith(signedInClient(h, user.accessToken).getAccount({}), Code.Unauthenticated);
    await rejectsWith(
      deviceClient(h).refresh({ refreshToken: user.refreshToken }),
      Code.Unauthenticated,
    );
    assert.equal((await h.lastMailTo(user.email)).subject, 'Your e-mail address was changed');

    await rejectsWith(
      deviceClient(h).login({ identifier: user.email, password: user.password }),
      Code.Unauthenticated,
    );
    // The completed change forgot every known device: the code goes to the new address.
    const session = await signInWithMailedCode(h, deviceClient(h), {
      email: target,
      password: user.password,
    });
    const { account } = await signedInClient(h, session.accessToken).getAccount({});
    assert.equal(account?.email, target);
    assert.equal(account?.emailVerified, true);
    assert.equal(account?.pendingEmail, '');

    // The link was single use.
    await rejectsWith(deviceClient(h).verifyEmail({ token: confirm.token! }), Code.InvalidArgument);
  });

  test('an address of another account gets a notice, and the caller sees the same as for a free one', async () => {
    const user = await h.signUp();
    const other = await h.signUp();
    const free = newAddress();
    const freeAnswer = await signedInClient(h, user.accessToken).changeEmail({
      currentPassword: user.password,
      newEmail: free,
    });
    const takenAnswer = await signedInClient(h, user.accessToken).changeEmail({
      currentPassword: user.password,
      newEmail: other.email,
    });
    assert.deepEqual([freeAnswer.pendingEmail, takenAnswer.pendingEmail], [free, other.email]);
    const { account } = await signedInClient(h, user.accessToken).getAccount({});
    assert.equal(account?.pendingEmail, other.email);

    const notice = await h.lastMailTo(other.email);
    assert.equal(notice.subject, 'This address already has a Kith account');
    assert.equal(notice.link, undefined);
    assert.equal(notice.token, undefined);
    // The earlier change's link was retired by the newer request.
    const freeLink = (await h.lastMailTo(free)).token!;
    await rejectsWith(deviceClient(h).verifyEmail({ token: freeLink }), Code.InvalidArgument);
    // Nothing moved.
    const owner = await signedInClient(h, other.accessToken).getAccount({});
    assert.equal(owner.account?.email, other.email);
  });

  test('an address taken between request and confirmation is refused at confirmation', async () => {
    const user = await h.signUp();
    const target = newAddress();
    await signedInClient(h, user.accessToken).changeEmail({
      currentPassword: user.password,
      newEmail: target,
    });
    const token = (await h.lastMailTo(target)).token!;
    await deviceClient(h).register({
      email: target,
      username: `late${Date.now().toString(36)}`,
      password: 'somebody else entirely',
      consent: CONSENT,
    });
    await rejectsWith(deviceClient(h).verifyEmail({ token }), Code.FailedPrecondition);
    const { account } = await signedInClient(h, user.accessToken).getAccount({});
    assert.equal(account?.email, user.email);
  });

  test('wrong password, same address and a blocked domain are refused', async () => {
    const user = await h.signUp();
    const client = signedInClient(h, user.accessToken);
    const wrong = await rejectsWith(
      client.changeEmail({ currentPassword: 'definitely not it', newEmail: newAddress() }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violations(wrong), [
      { field: 'current_password', message: 'incorrect password' },
    ]);

    const same = await rejectsWith(
      client.changeEmail({ currentPassword: user.password, newEmail: user.email.toUpperCase() }),
      Code.InvalidArgument,
    );
    assert.deepEqual(
      violations(same).map((v) => v.field),
      ['new_email'],
    );

    await h.app.database.db
      .insertInto('email_domain_blocks')
      .values({
        id: uuidv7(),
        domain: 'throwaway.example',
        reason: '',
        created_by: uuidv7(),
        created_at: h.clock.now(),
      })
      .execute();
    await rejectsWith(
      client.changeEmail({ currentPassword: user.password, newEmail: 'me@x.throwaway.example' }),
      Code.PermissionDenied,
    );
    const { account } = await client.getAccount({});
    assert.equal(account?.pendingEmail, '');
  });
});
