import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { SupportAdminService } from '@kith/gen/kith/support/v1/support_admin_pb.js';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
// By path: the support package does not depend on the auth service; its harness issues the
// tokens and API keys these calls are made with.
import { codeOf, seedUser, startAuthHarness } from '../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../auth/src/testing/index.js';
import { supportModule } from './module.js';

// A call that passes authentication, the role gate and the API-key scope reaches its handler:
// NotFound for an incident the caller cannot see proves it got through.

const INCIDENT_ID = '0190f2f6-6f3c-7cc0-8b5c-7a0000000001';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness({ modules: [supportModule] });
});
afterAll(async () => {
  await h?.stop();
});

async function keyWithEverySupportScope(user: TestUser): Promise<string> {
  const res = await h.as(user.accessToken).auth.createApiKey({
    name: 'support key',
    scopes: [ApiKeyScope.SUPPORT_READ, ApiKeyScope.SUPPORT_WRITE, ApiKeyScope.SOS_RAISE],
    proof: { case: 'currentPassword', value: user.password },
  });
  return res.secret;
}

const window = () => {
  const now = h.clock.now().getTime();
  return { since: timestampFromMs(now - 86_400_000), until: timestampFromMs(now) };
};

test('no API key reaches the PINs or the escalation ladder (read or write), whatever its support scopes', async () => {
  const secret = await keyWithEverySupportScope(await seedUser(h));
  const support = createClient(SupportService, h.as(secret).transport);
  assert.equal(await codeOf(support.setSafetyPins({ cancelPin: '1234' })), Code.PermissionDenied);
  assert.equal(await codeOf(support.getSafetyPinStatus({})), Code.PermissionDenied);
  assert.equal(await codeOf(support.updateEscalationLadder({})), Code.PermissionDenied);
  // Reading the ladder exposes the emergency contacts' phone numbers and e-mail addresses.
  assert.equal(await codeOf(support.getEscalationLadder({})), Code.PermissionDenied);
  // The same key reaches the incident RPCs its scopes name.
  assert.equal(await codeOf(support.listResponders({ incidentId: INCIDENT_ID })), Code.NotFound);
  assert.equal(
    await codeOf(support.addIncidentNote({ incidentId: INCIDENT_ID, text: 'on the way' })),
    Code.NotFound,
  );
});

test('SupportAdminService refuses everyone but admins, before validating the request', async () => {
  for (const role of ['user', 'triage', 'moderator'] as const) {
    const caller = await seedUser(h, { role });
    const admin = createClient(SupportAdminService, h.as(caller.accessToken).transport);
    assert.equal(await codeOf(admin.getStats({})), Code.PermissionDenied, role);
  }
  const staff = await seedUser(h, { role: 'admin' });
  const admin = createClient(SupportAdminService, h.as(staff.accessToken).transport);
  assert.equal(await codeOf(admin.getStats({})), Code.InvalidArgument);
  const stats = await admin.getStats(window());
  assert.equal(stats.sosRaised, 0n);
  assert.equal(stats.checkInsStarted, 0n);
  assert.equal(stats.medianTimeToFirstAcknowledgement, undefined);
  // An admin's API key never reaches the staff console.
  const key = await keyWithEverySupportScope(staff);
  const byKey = createClient(SupportAdminService, h.as(key).transport);
  assert.equal(await codeOf(byKey.getStats(window())), Code.PermissionDenied);
});
