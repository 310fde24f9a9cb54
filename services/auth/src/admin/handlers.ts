import type { ServiceImpl } from '@connectrpc/connect';
import type { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import type { AuthApp } from '../app.js';
import { accountAdminHandlers } from './accounts.js';
import { auditEventHandlers } from './audit-events.js';
import { blockHandlers } from './blocks.js';

/**
 * AuthAdminService. Every method starts with `requireRole(ctx, 'admin')`, so a non-admin is
 * refused before anything is looked up (admin.test.ts calls every method to prove it).
 */
export function adminHandlers(app: AuthApp): Partial<ServiceImpl<typeof AuthAdminService>> {
  // `satisfies` the full service: a method added to the proto fails to compile until written.
  return {
    ...accountAdminHandlers(app),
    ...auditEventHandlers(app),
    ...blockHandlers(app),
  } satisfies ServiceImpl<typeof AuthAdminService>;
}
