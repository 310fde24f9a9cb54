import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code, createClient } from '@connectrpc/connect';
import { ModerationAdminService } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { codeOf, seedUser, startAuthHarness } from '@kith/auth-service/testing';
import type { AuthHarness } from '@kith/auth-service/testing';
import { moderationModule } from '@kith/moderation-service';

// The staff consoles refuse non-staff callers at the service level, before any handler or
// validation: a signed-in ordinary user learns nothing, not even the request's shape.

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness({ modules: [moderationModule] });
});
afterAll(() => h.stop());

const moderationAdminAs = (token: string) =>
  createClient(ModerationAdminService, h.as(token).transport);

test('a non-staff caller gets PermissionDenied from ModerationAdminService, even for a malformed request', async () => {
  const user = await seedUser(h);
  const console = moderationAdminAs(user.accessToken);
  assert.equal(await codeOf(console.listQueue({})), Code.PermissionDenied);
  assert.equal(await codeOf(console.getSubject({})), Code.PermissionDenied);
});

test('staff pass the ModerationAdminService gate; the AuthAdminService gate holds for non-staff', async () => {
  const triage = await seedUser(h, { role: 'triage' });
  // Past the gate: the queue answers (empty).
  assert.equal(await codeOf(moderationAdminAs(triage.accessToken).listQueue({})), 'ok');
  const user = await seedUser(h);
  assert.equal(await codeOf(h.as(user.accessToken).admin.lookupAccount({})), Code.PermissionDenied);
});
