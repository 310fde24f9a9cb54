import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import { EscalationTarget } from '@kith/gen/kith/support/v1/types_pb.js';
// By path: the support package does not depend on the auth service; its harness issues tokens.
import {
  deviceClient,
  rejectsWith,
  seedUser,
  signIn,
  startAuthHarness,
  violations,
} from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import { contactsTestModule } from '../contacts/testing/contacts-harness.js';
import { ladderSteps } from './steps.js';

const MINUTE = 60_000;
const step = (afterMs: number, target: EscalationTarget) => ({
  after: durationFromMs(afterMs),
  target,
});

let h: AuthHarness;
const support = contactsTestModule();
beforeAll(async () => {
  h = await startAuthHarness({ modules: [support.module] });
});
afterAll(async () => {
  await h?.stop();
});

const client = (user: TestUser) => createClient(SupportService, h.as(user.accessToken).transport);

test('a user who never changed the ladder gets the default, version 0', async () => {
  const user = await seedUser(h);
  const res = await client(user).getEscalationLadder({});
  assert.equal(res.isDefault, true);
  assert.equal(res.version, 0);
  assert.deepEqual(
    res.ladder?.steps.map((s) => [Number(s.after?.seconds ?? 0n), s.target]),
    [
      [0, EscalationTarget.PRIMARY_CONTACTS],
      [120, EscalationTarget.INCIDENT_CIRCLES],
      [300, EscalationTarget.ALL_CIRCLES],
      [300, EscalationTarget.EMERGENCY_CONTACTS],
      [600, EscalationTarget.EMERGENCY_SERVICES_PROMPT],
    ],
  );
  assert.deepEqual(res.ladder?.emergencyContacts, []);
});

test('an update from version 0 makes version 1, which the runner and reads then use', async () => {
  const user = await seedUser(h);
  const steps = [
    step(0, EscalationTarget.INCIDENT_CIRCLES),
    step(90_000, EscalationTarget.ALL_CIRCLES),
  ];
  const updated = await client(user).updateEscalationLadder({ ladder: { steps }, baseVersion: 0 });
  assert.equal(updated.version, 1);
  const read = await client(user).getEscalationLadder({});
  assert.equal(read.isDefault, false);
  assert.equal(read.version, 1);
  assert.deepEqual(
    read.ladder?.steps.map((s) => [Number(s.after?.seconds ?? 0n), s.target]),
    [
      [0, EscalationTarget.INCIDENT_CIRCLES],
      [90, EscalationTarget.ALL_CIRCLES],
    ],
  );
  assert.deepEqual(await ladderSteps(support.app().database.db, user.userId), [
    { afterMs: 0, target: EscalationTarget.INCIDENT_CIRCLES },
    { afterMs: 90_000, target: EscalationTarget.ALL_CIRCLES },
  ]);
  const again = await client(user).updateEscalationLadder({
    ladder: { steps: [step(0, EscalationTarget.PRIMARY_CONTACTS)] },
    baseVersion: 1,
  });
  assert.equal(again.version, 2);
});

test('an update based on a stale version answers Aborted and changes nothing', async () => {
  const user = await seedUser(h);
  const ladder = { steps: [step(0, EscalationTarget.PRIMARY_CONTACTS)] };
  await client(user).updateEscalationLadder({ ladder, baseVersion: 0 });
  // A second editor still holding the default.
  await rejectsWith(
    client(user).updateEscalationLadder({
      ladder: { steps: [step(0, EscalationTarget.ALL_CIRCLES)] },
      baseVersion: 0,
    }),
    Code.Aborted,
  );
  await rejectsWith(client(user).updateEscalationLadder({ ladder, baseVersion: 7 }), Code.Aborted);
  const read = await client(user).getEscalationLadder({});
  assert.equal(read.version, 1);
  assert.equal(read.ladder?.steps[0]?.target, EscalationTarget.PRIMARY_CONTACTS);
});

test('changing the ladder needs a sign-in within the last hour', async () => {
  const account = await seedUser(h, { signedIn: false });
  const signedIn = await signIn(deviceClient(h), account);
  h.clock.advance(61 * MINUTE);
  // The access token expired meanwhile; a refreshed one keeps the old auth_time.
  const refreshed = (await deviceClient(h).refresh({ refreshToken: signedIn.refreshToken }))
    .tokens!;
  const stale = createClient(SupportService, h.as(refreshed.accessToken).transport);
  const err = await rejectsWith(
    stale.updateEscalationLadder({
      ladder: { steps: [step(0, EscalationTarget.PRIMARY_CONTACTS)] },
      baseVersion: 0,
    }),
    Code.FailedPrecondition,
  );
  assert.equal(err.rawMessage, 'reauthentication required: call Reauthenticate first');
  // Reading needs no re-auth.
  assert.equal((await stale.getEscalationLadder({})).isDefault, true);
});

test('steps out of order, or a first step that waits, answer InvalidArgument', async () => {
  const user = await seedUser(h);
  const unordered = await rejectsWith(
    client(user).updateEscalationLadder({
      ladder: {
        steps: [
          step(0, EscalationTarget.PRIMARY_CONTACTS),
          step(5 * MINUTE, EscalationTarget.ALL_CIRCLES),
          step(2 * MINUTE, EscalationTarget.INCIDENT_CIRCLES),
        ],
      },
      baseVersion: 0,
    }),
    Code.InvalidArgument,
  );
  assert.match(JSON.stringify(violations(unordered)), /ordered by after/);
  const late = await rejectsWith(
    client(user).updateEscalationLadder({
      ladder: { steps: [step(MINUTE, EscalationTarget.PRIMARY_CONTACTS)] },
      baseVersion: 0,
    }),
    Code.InvalidArgument,
  );
  assert.match(JSON.stringify(violations(late)), /first step must fire at once/);
  await rejectsWith(
    client(user).updateEscalationLadder({ ladder: { steps: [] }, baseVersion: 0 }),
    Code.InvalidArgument,
  );
  assert.equal((await client(user).getEscalationLadder({})).isDefault, true);
});
