import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { AfterAnswer } from '../after-answer.js';
import { deviceClient, seedUser, startAuthHarness } from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

/**
 * Calls whose answer must not tell a known address from an unknown one do the known address's
 * work (lookup, link, mail) only after answering, so neither answers faster. Here the work is
 * held until the test lets it run, to see that the answer came first.
 */
describe('Answers that reveal nothing about an address, not even by their speed', () => {
  let h: AuthHarness;
  const held: (() => Promise<void>)[] = [];
  const afterAnswer: AfterAnswer = {
    run: (_name, work) => {
      held.push(work);
    },
    settled: async () => {
      while (held.length > 0) await held.shift()!();
    },
  };

  beforeAll(async () => {
    h = await startAuthHarness({ afterAnswer });
  });
  afterAll(() => h.stop());

  const tokensOf = (accountId: string) =>
    h.app.database.db
      .selectFrom('email_tokens')
      .select('purpose')
      .where('account_id', '=', accountId)
      .execute();

  test('RequestPasswordReset answers before it looks the address up, for known and unknown alike', async () => {
    const user = await seedUser(h, { signedIn: false });
    await deviceClient(h).requestPasswordReset({ email: user.email });
    await deviceClient(h).requestPasswordReset({ email: `nobody-${user.username}@example.com` });
    assert.equal(held.length, 2, 'both answers came with their work still to do');
    assert.deepEqual(await tokensOf(user.userId), []);

    const mail = await h.lastMailTo(user.email);
    assert.equal(mail.subject, 'Reset your password');
    assert.deepEqual(await tokensOf(user.userId), [{ purpose: 'reset_password' }]);
  });

  test('ResendVerification answers before it looks the address up, for known and unknown alike', async () => {
    const user = await seedUser(h, { signedIn: false, verified: false });
    await deviceClient(h).resendVerification({ email: user.email });
    await deviceClient(h).resendVerification({ email: `nobody-${user.username}@example.com` });
    assert.equal(held.length, 2, 'both answers came with their work still to do');
    assert.deepEqual(await tokensOf(user.userId), []);

    const mail = await h.lastMailTo(user.email);
    assert.ok(mail.link?.includes('/verify-email?token='), mail.link);
    assert.deepEqual(await tokensOf(user.userId), [{ purpose: 'verify_email' }]);
  });
});
