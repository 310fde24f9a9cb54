import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { CircleAdminService } from '@kith/gen/kith/circle/v1/circle_admin_pb.js';
import type { CircleApp } from '../app.js';
import { getStats } from './stats.js';

/**
 * The staff console (ADMIN only: module.ts requiredRoles refuses everyone else before a
 * handler or validation runs).
 */
export function circleAdminHandlers(
  app: CircleApp,
): Partial<ServiceImpl<typeof CircleAdminService>> {
  return {
    async getStats(req) {
      // Both are required, and ordered, by the contract: validation refused anything else.
      return getStats(app, { since: timestampDate(req.since!), until: timestampDate(req.until!) });
    },
  };
}
