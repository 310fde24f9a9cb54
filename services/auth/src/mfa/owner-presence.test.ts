import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import {
  rejectsWith,
  seedTotp,
  seedUser,
  signedInClient,
  startAuthHarness,
  startSession,
  violatedFields,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';
import { totpAt } from './totp.js';

/**
 * Issue 6, row 3: a fresh login counts as recent auth, so a token stolen right after one must
 * still not add a second factor or mint an API key: both want a factor in the request itself.
 */
describe('a stolen access token alone cannot add a factor or an API key', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  const accountRow = (id: string) =>
    h.app.database.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  const keyCount = async (id: string) =>
    (
      await h.app.database.db
        .selectFrom('api_keys')
        .select('id')
        .where('account_id', '=', id)
        .execute()
    ).length;

  test('EnrollTotp on a fresh session refuses a wrong or missing password and starts nothing', async () => {
    const user = await seedUser(h);
    const client = signedInClient(h, user.accessToken);
    const wrong = await rejectsWith(
      client.enrollTotp({ currentPassword: 'what the thief guesses' }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(wrong), ['current_password']);
    await rejectsWith(client.enrollTotp({}), Code.InvalidArgument);
    assert.equal((await accountRow(user.userId)).totp_pending_secret_enc, null);
  });

  test('CreateApiKey on a fresh session refuses a wrong password; a key is mailed to the owner', async () => {
    const user = await seedUser(h);
    const client = signedInClient(h, user.accessToken);
    const request = { name: 'exfiltration', scopes: [ApiKeyScope.POSTS_READ] };
    await rejectsWith(client.createApiKey(request), Code.InvalidArgument);
    const wrong = await rejectsWith(
      client.createApiKey({ ...request, proof: { case: 'currentPassword', value: 'a guess' } }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(wrong), ['current_password']);
    // An account with a password cannot swap in a weaker proof.
    await rejectsWith(
      client.createApiKey({ ...request, proof: { case: 'totpCode', value: '123456' } }),
      Code.InvalidArgument,
    );
    assert.equal(await keyCount(user.userId), 0);

    await client.createApiKey({
      ...request,
      proof: { case: 'currentPassword', value: user.password },
    });
    assert.equal(await keyCount(user.userId), 1);
    const mail = await h.lastMailTo(user.email);
    assert.equal(mail.subject, 'A new API key was created');
    assert.ok(mail.text.includes('"exfiltration"'));
  });

  test('an account without a password proves itself with a TOTP code, and cannot enrol TOTP', async () => {
    const oidcOnly = await seedUser(h, { signedIn: false, password: null });
    const session = await startSession(h, oidcOnly);
    const client = signedInClient(h, session.accessToken);
    const enrol = await rejectsWith(
      client.enrollTotp({ currentPassword: 'anything' }),
      Code.FailedPrecondition,
    );
    assert.match(enrol.rawMessage, /no password/);
    const request = { name: 'bot', scopes: [ApiKeyScope.POSTS_READ] };
    await rejectsWith(
      client.createApiKey({ ...request, proof: { case: 'currentPassword', value: 'anything' } }),
      Code.FailedPrecondition,
    );

    const secret = await seedTotp(h, oidcOnly);
    await rejectsWith(
      client.createApiKey({ ...request, proof: { case: 'currentPassword', value: 'anything' } }),
      Code.InvalidArgument,
    );
    await client.createApiKey({
      ...request,
      proof: { case: 'totpCode', value: totpAt(secret, h.clock.now()) },
    });
    assert.equal(await keyCount(oidcOnly.userId), 1);
  });

  test('ConfirmTotp drops the enrolment after five wrong codes; the owner is mailed on success', async () => {
    const user = await seedUser(h);
    const client = signedInClient(h, user.accessToken);
    const { secret } = await client.enrollTotp({ currentPassword: user.password });
    const right = totpAt(secret, h.clock.now());
    const wrongCode = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      await rejectsWith(client.confirmTotp({ totpCode: wrongCode }), Code.InvalidArgument);
    }
    const gone = await rejectsWith(
      client.confirmTotp({ totpCode: right }),
      Code.FailedPrecondition,
    );
    assert.match(gone.rawMessage, /EnrollTotp first/);
    assert.equal((await accountRow(user.userId)).totp_enabled_at, null);

    // A new enrolment (the password again) gets a fresh count.
    const again = await client.enrollTotp({ currentPassword: user.password });
    await client.confirmTotp({ totpCode: totpAt(again.secret, h.clock.now()) });
    assert.ok((await accountRow(user.userId)).totp_enabled_at);
    assert.equal((await h.lastMailTo(user.email)).subject, 'Two-step verification was turned on');
  });
});
