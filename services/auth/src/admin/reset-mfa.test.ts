import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { ApiKeyScope, Role } from '@kith/gen/kith/auth/v1/types_pb.js';
import { totpAt } from '../mfa/totp.js';
import {
  auditTrail,
  deviceClient,
  introspectApiKey,
  rejectsWith,
  seedUser,
  startAuthHarness,
  violatedFields,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

describe('staff MFA reset and step-up', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  test('ResetMfa removes TOTP and recovery codes, ends sessions and keys, mails and audits', async () => {
    const admin = await seedUser(h, { role: 'admin' });
    const owner = await seedUser(h, { totp: true });
    const { secret: keySecret } = await h.as(owner.accessToken).auth.createApiKey({
      name: 'k',
      scopes: [ApiKeyScope.POSTS_READ],
      proof: { case: 'currentPassword', value: owner.password },
    });
    const res = await h.as(admin.accessToken).admin.resetMfa({
      userId: owner.userId,
      reason: 'lost phone; identity checked by video call',
      stepUp: { currentPassword: admin.password },
    });
    assert.equal(res.account?.userId, owner.userId);

    const row = await h.app.database.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', owner.userId)
      .executeTakeFirstOrThrow();
    assert.equal(row.totp_enabled_at, null);
    assert.equal(row.totp_secret_enc, null);
    const codes = await h.app.database.db
      .selectFrom('recovery_codes')
      .select('id')
      .where('account_id', '=', owner.userId)
      .execute();
    assert.equal(codes.length, 0);
    await rejectsWith(
      deviceClient(h).refresh({ refreshToken: owner.refreshToken }),
      Code.Unauthenticated,
    );
    assert.equal(await introspectApiKey(h, keySecret), null);
    assert.equal(
      (await h.lastMailTo(owner.email)).subject,
      'Your two-step verification was removed by support',
    );
    const reset = (await auditTrail(h, owner.userId)).find((e) => e.type === 'mfa_reset');
    assert.equal(reset?.details.reason, 'lost phone; identity checked by video call');
    const actor = await h.app.database.db
      .selectFrom('audit_events')
      .select('actor_id')
      .where('account_id', '=', owner.userId)
      .where('type', '=', 'mfa_reset')
      .executeTakeFirstOrThrow();
    assert.equal(actor.actor_id, admin.userId);
    // The owner signs in with the password alone again.
    const login = await deviceClient(h).login({
      identifier: owner.email,
      password: owner.password,
    });
    assert.notEqual(login.result.case, undefined);
  });

  test('SetRole, DisableAccount and ResetMfa refuse a stolen staff token without the step-up', async () => {
    const admin = await seedUser(h, { role: 'admin' });
    const target = await seedUser(h, { totp: true });
    const staff = h.as(admin.accessToken).admin;
    const wrong = { currentPassword: 'what the thief guesses' };
    const calls = [
      () => staff.setRole({ userId: target.userId, role: Role.ADMIN, reason: 'x', stepUp: wrong }),
      () => staff.disableAccount({ userId: target.userId, reason: 'x', stepUp: wrong }),
      () => staff.resetMfa({ userId: target.userId, reason: 'x', stepUp: wrong }),
    ];
    for (const call of calls) {
      const err = await rejectsWith(call(), Code.InvalidArgument);
      assert.deepEqual(violatedFields(err), ['step_up.current_password']);
    }
    // Missing altogether: refused by validation.
    await rejectsWith(
      staff.setRole({ userId: target.userId, role: Role.ADMIN, reason: 'x' }),
      Code.InvalidArgument,
    );
    const row = await h.app.database.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', target.userId)
      .executeTakeFirstOrThrow();
    assert.equal(row.role, 'user');
    assert.equal(row.disabled_at, null);
    assert.ok(row.totp_enabled_at);
  });

  test('an admin with TOTP also gives a current code in the step-up', async () => {
    const admin = await seedUser(h, { role: 'admin', totp: true });
    const target = await seedUser(h);
    const staff = h.as(admin.accessToken).admin;
    const noCode = await rejectsWith(
      staff.disableAccount({
        userId: target.userId,
        reason: 'spam',
        stepUp: { currentPassword: admin.password },
      }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(noCode), ['step_up.totp_code']);
    const res = await staff.disableAccount({
      userId: target.userId,
      reason: 'spam',
      stepUp: {
        currentPassword: admin.password,
        totpCode: totpAt(admin.totp.secret, h.clock.now()),
      },
    });
    assert.ok(res.account?.disabledAt);
  });
});
