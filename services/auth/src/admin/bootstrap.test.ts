import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Code } from '@connectrpc/connect';
import { Role } from '@kith/gen/kith/auth/v1/types_pb.js';
import { startAuthHarness } from '../testing/harness.js';
import { applyBootstrapAdmins } from './bootstrap.js';
import type { AuthHarness } from '../testing/harness.js';
import { auditTrail, codeOf } from '../testing/support.js';

let h: AuthHarness;
before(async () => {
  h = await startAuthHarness({
    env: { AUTH_BOOTSTRAP_ADMINS: 'Founder@Example.com, cofounder@example.com' },
  });
});
after(() => h?.stop());

test('the address named in AUTH_BOOTSTRAP_ADMINS becomes admin once verified, nobody else', async () => {
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
  const { auth } = h.withHeaders({ 'x-forwarded-for': '10.99.0.1' });
  await auth.register({
    email: 'cofounder@example.com',
    password: 'squatting is not verifying 1',
    username: 'squatter',
    consent: {
      termsAccepted: true,
      privacyPolicyAccepted: true,
      minimumAgeConfirmed: true,
      documentsVersion: '2026-01',
    },
  });
  // Whoever registered it has not shown they own the inbox: the next pass leaves it alone.
  assert.deepEqual(await applyBootstrapAdmins(h.app), []);
  const rows = await h.app.database.db
    .selectFrom('accounts')
    .select(['role', 'email_verified_at'])
    .where('username_normalized', '=', 'squatter')
    .execute();
  assert.deepEqual(rows, [{ role: 'user', email_verified_at: null }]);
});
