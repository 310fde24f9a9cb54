import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { SupportAdminService } from '@kith/gen/kith/support/v1/support_admin_pb.js';
import type { SupportApp } from '../app.js';
import { getStats } from './stats.js';

/**
 * The staff console (ADMIN only: module.ts requiredRoles refuses everyone else before a
 * handler or validation runs).
 */
export function supportAdminHandlers(
  app: SupportApp,
): Partial<ServiceImpl<typeof SupportAdminService>> {
  return {
    async getStats(req) {
      // Both are required, and ordered, by the contract: validation refused anything else.
      return getStats(app, { since: timestampDate(req.since!), until: timestampDate(req.until!) });
    },
  };
}
