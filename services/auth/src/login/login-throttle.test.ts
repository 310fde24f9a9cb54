import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Code } from '@connectrpc/connect';
import type { ConnectError } from '@connectrpc/connect';
import { RetryInfoSchema } from '@kith/gen/google/rpc/error_details_pb.js';
import { createPasswordHasher } from '../credentials/index.js';
import {
  deviceClient,
  freshIp,
  rejectsWith,
  seedUser,
  signIn,
  startAuthHarness,
  testHasherParams,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

/** The RetryInfo delay of a ResourceExhausted answer, in milliseconds. */
function retryAfterMs(err: ConnectError): number {
  const [info] = err.findDetails(RetryInfoSchema);
  assert.ok(info?.retryDelay, 'ResourceExhausted carries RetryInfo');
  return Number(info.retryDelay.seconds) * 1000 + info.retryDelay.nanos / 1e6;
}

const FIFTEEN_MINUTES = 15 * 60_000;

describe('Login throttling', () => {
  let h: AuthHarness;
  let verifications = 0;

  before(async () => {
    const hasher = createPasswordHasher(testHasherParams, {
      onVerify: () => {
        verifications += 1;
      },
    });
    h = await startAuthHarness({ hasher });
  });
  after(() => h.stop());

  it('refuses the 26th attempt from one address within 5 minutes before hashing anything', async () => {
    const account = await seedUser(h, { signedIn: false });
    const client = deviceClient(h);
    for (let i = 0; i < 25; i++) {
      await rejectsWith(
        client.login({ identifier: `guess${i}@example.com`, password: 'hunter2' }),
        Code.Unauthenticated,
      );
    }
    const before = verifications;
    const err = await rejectsWith(
      client.login({ identifier: account.email, password: account.password }),
      Code.ResourceExhausted,
    );
    assert.equal(verifications, before, 'the refused attempt computed no hash');
    assert.ok(retryAfterMs(err) > 0);
    // Another address is not affected.
    await signIn(deviceClient(h), account);
  });

  it('limits attempts on one account across addresses (25 per hour)', async () => {
    const account = await seedUser(h, { signedIn: false });
    for (let i = 0; i < 25; i++) {
      // Past any backoff delay, so only the per-account window is left to stop attempts.
      h.clock.advance(FIFTEEN_MINUTES + 1);
      await rejectsWith(
        deviceClient(h).login({ identifier: account.email, password: `wrong ${i}` }),
        Code.Unauthenticated,
      );
    }
    h.clock.advance(FIFTEEN_MINUTES + 1);
    const before = verifications;
    await rejectsWith(
      deviceClient(h).login({ identifier: account.email, password: account.password }),
      Code.ResourceExhausted,
    );
    assert.equal(verifications, before, 'the refused attempt computed no hash');
    // The same address may still try another account: the limit is the account's.
    const other = await seedUser(h, { signedIn: false });
    await signIn(deviceClient(h), other);
  });

  it('delays attempts more and more after 5 failures, and lets them through once the delay is over', async () => {
    const account = await seedUser(h, { signedIn: false });
    const attempt = (password: string) =>
      deviceClient(h).login({ identifier: account.email, password });
    for (let i = 0; i < 6; i++) await rejectsWith(attempt('wrong'), Code.Unauthenticated);

    // The 6th failure set the first delay: even the right password waits.
    const before = verifications;
    const first = retryAfterMs(
      await rejectsWith(attempt(account.password), Code.ResourceExhausted),
    );
    assert.equal(verifications, before);
    assert.ok(first > 0 && first <= 2000, `first delay ${first}`);

    h.clock.advance(first);
    await rejectsWith(attempt('wrong again'), Code.Unauthenticated);
    const second = retryAfterMs(
      await rejectsWith(attempt(account.password), Code.ResourceExhausted),
    );
    assert.ok(second > first, `the delay grows: ${first} then ${second}`);

    h.clock.advance(second - 1);
    await rejectsWith(attempt(account.password), Code.ResourceExhausted);
    h.clock.advance(1);
    // No lockout: once the delay is over the right password works, and resets the count.
    await signIn(deviceClient(h), account);
    await rejectsWith(attempt('wrong'), Code.Unauthenticated);
    await rejectsWith(attempt('wrong'), Code.Unauthenticated);
    await signIn(deviceClient(h), account);
  });

  it('throttles unknown identifiers exactly like known ones', async () => {
    const ip = freshIp();
    const ghost = `ghost${Date.now()}@example.com`;
    for (let i = 0; i < 6; i++) {
      await rejectsWith(
        deviceClient(h, { ip }).login({ identifier: ghost, password: 'x' }),
        Code.Unauthenticated,
      );
    }
    const err = await rejectsWith(
      deviceClient(h).login({ identifier: ghost, password: 'x' }),
      Code.ResourceExhausted,
    );
    assert.ok(retryAfterMs(err) > 0);
  });
});
