import assert from 'node:assert/strict';
import { afterEach, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { Role } from '@kith/gen/kith/auth/v1/types_pb.js';
import { startAuthHarness } from '../testing/harness.js';
import type { AuthHarness } from '../testing/harness.js';
import { CONSENT, auditTrail, codeOf, deviceClient, signIn } from '../testing/support.js';
import { applyBootstrapAdmins } from './bootstrap.js';

const env = { AUTH_BOOTSTRAP_ADMINS: 'Founder@Example.com, cofounder@example.com' };
let h: AuthHarness | undefined;
afterEach(() => h?.stop());

test('the address named in AUTH_BOOTSTRAP_ADMINS becomes admin once verified, nobody else', async () => {
  h = await startAuthHarness({ env });
  const founder = await h.signUp({ email: 'founder@example.com' });
  const someone = await h.signUp();
  const account = await h.as(founder.accessToken).auth.getAccount({});
  assert.equal(account.account?.role, Role.ADMIN);
  assert.equal((await h.as(someone.accessToken).auth.getAccount({})).account?.role, Role.USER);
  // The staff API opens to the founder only.
  assert.equal(await codeOf(h.as(founder.accessToken).admin.listIpBlocks({})), 'ok');
  assert.equal(
    await codeOf(h.as(someone.accessToken).admin.listIpBlocks({})),
    Code.PermissionDenied,
  );
  const trail = await auditTrail(h, founder.userId);
  assert.ok(trail.some((e) => e.type === 'role_changed'));
});

test('an account with a listed address that is not verified stays a user', async () => {
  h = await startAuthHarness({ env });
  await deviceClient(h).register({
    email: 'cofounder@example.com',
    password: 'squatting is not verifying 1',
    username: 'squatter',
    consent: CONSENT,
  });
  // No admin exists yet, so only the missing verification holds this back.
  assert.deepEqual(await applyBootstrapAdmins(h.app), []);
  const rows = await h.app.database.db
    .selectFrom('accounts')
    .select(['role', 'email_verified_at'])
    .where('username_normalized', '=', 'squatter')
    .execute();
  assert.deepEqual(rows, [{ role: 'user', email_verified_at: null }]);
});

test('once any admin exists the list does nothing: a demotion by SetRole sticks', async () => {
  h = await startAuthHarness({ env });
  const founder = await h.signUp({ email: 'founder@example.com' });
  const other = await h.signUp();
  await h.setRole(other.userId, 'admin');
  const staff = await signIn(deviceClient(h), other);
  await h.as(staff.accessToken).admin.setRole({
    userId: founder.userId,
    role: Role.USER,
    reason: 'handing over',
    stepUp: { currentPassword: other.password },
  });
  assert.deepEqual(await applyBootstrapAdmins(h.app), []);
  const row = await h.app.database.db
    .selectFrom('accounts')
    .select('role')
    .where('id', '=', founder.userId)
    .executeTakeFirstOrThrow();
  assert.equal(row.role, 'user');
});
