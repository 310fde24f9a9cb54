import assert from 'node:assert/strict';
import { test } from 'vitest';
import { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { ModerationService } from '@kith/gen/kith/moderation/v1/moderation_pb.js';
import { defineService } from './module.js';

test('a module serving an *AdminService without a staff role for it cannot be defined', () => {
  const base = { name: 'auth' as const, services: [AuthAdminService], create: () => ({}) };
  assert.throws(() => defineService(base), /AuthAdminService needs a staff role/);
  assert.throws(
    () => defineService({ ...base, requiredRoles: { [AuthAdminService.typeName]: 'user' } }),
    /needs a staff role/,
  );
  // A role on one method only leaves the others open.
  assert.throws(
    () =>
      defineService({
        ...base,
        requiredRoles: { [`${AuthAdminService.typeName}/SetRole`]: 'admin' },
      }),
    /needs a staff role/,
  );
  assert.doesNotThrow(() =>
    defineService({ ...base, requiredRoles: { [AuthAdminService.typeName]: 'triage' } }),
  );
  assert.doesNotThrow(() =>
    defineService({ name: 'moderation', services: [ModerationService], create: () => ({}) }),
  );
});
