import type { ServiceImpl } from '@connectrpc/connect';
import type { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { signedInCaller } from '@kith/runtime';
import { cancelAccountDeletion, requestAccountDeletion } from './account-deletion.js';
import { getDataExport, requestDataExport } from './data-export.js';
import type { Lifecycle } from './deps.js';

/** Data exports and account deletion: the caller's own, so no id but the export's is taken. */
export function lifecycleHandlers(lifecycle: Lifecycle): Partial<ServiceImpl<typeof UserService>> {
  const { app } = lifecycle;
  return {
    async requestDataExport(_req, ctx) {
      const caller = signedInCaller(app, ctx);
      return { dataExport: await requestDataExport(lifecycle, caller) };
    },

    async getDataExport(req, ctx) {
      const caller = signedInCaller(app, ctx);
      return {
        dataExport: await getDataExport(lifecycle, caller, { dataExportId: req.dataExportId }),
      };
    },

    async requestAccountDeletion(req, ctx) {
      const caller = signedInCaller(app, ctx);
      return {
        accountDeletion: await requestAccountDeletion(lifecycle, caller, { reason: req.reason }),
      };
    },

    async cancelAccountDeletion(_req, ctx) {
      const caller = signedInCaller(app, ctx);
      await cancelAccountDeletion(lifecycle, caller);
      return {};
    },
  };
}
