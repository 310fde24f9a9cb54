import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Code } from '@connectrpc/connect';
import type { ConnectError } from '@connectrpc/connect';
import { RetryInfoSchema } from '@kith/gen/google/rpc/error_details_pb.js';
import { createPasswordHasher } from '../credentials/index.js';
import {
  codeOf,
  deviceClient,
  freshIp,
  keptDevice,
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

describe('Login throttling', () => {
  let h: AuthHarness;
  let verifications = 0;

  beforeAll(async () => {
    const hasher = createPasswordHasher(testHasherParams, {
      onVerify: () => {
        verifications += 1;
      },
    });
    h = await startAuthHarness({ hasher });
  });
  afterAll(() => h.stop());

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

  it('caps attempts on one account from unknown devices at 100 an hour, across networks', async () => {
    const account = await seedUser(h, { signedIn: false });
    for (let i = 0; i < 100; i++) {
      // Each from a network of its own, so only the per-account cap is left to stop attempts.
      await rejectsWith(
        deviceClient(h, { ip: `198.18.${i}.9` }).login({
          identifier: account.email,
          password: `wrong ${i}`,
        }),
        Code.Unauthenticated,
      );
    }
    const before = verifications;
    await rejectsWith(
      deviceClient(h, { ip: '198.19.0.9' }).login({
        identifier: account.email,
        password: account.password,
      }),
      Code.ResourceExhausted,
    );
    assert.equal(verifications, before, 'the refused attempt computed no hash');
    // The same address may still try another account: the limit is the account's.
    const other = await seedUser(h, { signedIn: false });
    await signIn(deviceClient(h, { ip: '198.19.0.9' }), other);
  });

  it('delays attempts more and more after 5 failures from one network, and lets them through once the delay is over', async () => {
    const account = await seedUser(h, { signedIn: false });
    // Addresses of one /24: walking the block does not dodge the delay.
    let host = 0;
    const fromNetwork = () => deviceClient(h, { ip: `203.0.113.${++host}` });
    const attempt = (password: string) =>
      fromNetwork().login({ identifier: account.email, password });
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
    const device = keptDevice(h, { ip: `203.0.113.${++host}` });
    await device.signIn(account);
    await rejectsWith(attempt('wrong'), Code.Unauthenticated);
    await rejectsWith(attempt('wrong'), Code.Unauthenticated);
    await device.signIn(account);
  });

  it("never delays the owner for strangers' failures from other networks", async () => {
    const account = await seedUser(h, { signedIn: false });
    for (let i = 0; i < 6; i++) {
      await rejectsWith(
        deviceClient(h, { ip: `192.0.2.${i + 1}` }).login({
          identifier: account.email,
          password: `guess ${i}`,
        }),
        Code.Unauthenticated,
      );
    }
    // The strangers' network waits; the owner, elsewhere, with no known device yet, does not.
    await rejectsWith(
      deviceClient(h, { ip: '192.0.2.200' }).login({
        identifier: account.email,
        password: account.password,
      }),
      Code.ResourceExhausted,
    );
    await signIn(deviceClient(h, { ip: '198.51.100.7' }), account);
  });

  it('never locks the owner out on a known device, even when strangers have exhausted every other budget', async () => {
    const account = await seedUser(h, { signedIn: false });
    const laptop = keptDevice(h, { ip: '100.64.7.7' });
    await laptop.signIn(account);
    // Strangers everywhere, the owner's own network included: past the per-account cap and
    // the per-network delays.
    for (let i = 0; i < 101; i++) {
      await codeOf(
        deviceClient(h, { ip: i < 10 ? `100.64.7.${i + 100}` : `198.18.${i}.77` }).login({
          identifier: account.email,
          password: `guess ${i}`,
        }),
      );
    }
    await rejectsWith(
      deviceClient(h, { ip: '100.64.7.8' }).login({
        identifier: account.email,
        password: account.password,
      }),
      Code.ResourceExhausted,
    );
    // The known device: its own budget, untouched by anyone else's failures.
    await laptop.signIn(account);
    // Its own failures delay it like anyone's.
    for (let i = 0; i < 6; i++) {
      await rejectsWith(laptop.login({ ...account, password: 'typo' }), Code.Unauthenticated);
    }
    await rejectsWith(laptop.login(account), Code.ResourceExhausted);
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
