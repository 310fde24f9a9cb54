import type { ServiceImpl } from '@connectrpc/connect';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import { periodicDaemon, signedInCaller } from '@kith/runtime';
import type { Daemon, HttpHandler } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { exportDownloadRoute } from './download-route.js';
import { exportIncident } from './export.js';
import { EXPORT_DOWNLOAD_PATH } from './export-links.js';
import { createIncidentExports } from './exports.js';
import type { ExportOverrides, IncidentExports } from './exports.js';
import { EXPORT_SWEEP_EVERY_MS, sweepExports } from './sweep.js';

/** The export area's contribution to the support parts. */
export interface ExportParts {
  exports: IncidentExports;
  handlers: Partial<ServiceImpl<typeof SupportService>>;
  http: Record<string, HttpHandler>;
  daemons: Daemon[];
}

/**
 * ExportIncident, the route its links point at, and the sweeper that deletes files whose link
 * expired (within EXPORT_SWEEP_EVERY_MS of the expiry).
 */
export function exportParts(app: SupportApp, overrides: ExportOverrides = {}): ExportParts {
  const exports = createIncidentExports(app, overrides);
  if (!exports.config.linkSecret) {
    app.logger.error('SUPPORT_EXPORT_LINK_SECRET is not set: ExportIncident answers Unavailable');
  }
  return {
    exports,
    handlers: {
      async exportIncident(req, ctx) {
        const link = await exportIncident(exports, signedInCaller(app, ctx), req);
        return {
          downloadUrl: link.downloadUrl,
          expiresAt: timestampFromDate(link.expiresAt),
          sha256: link.sha256,
        };
      },
    },
    http: { [`GET ${EXPORT_DOWNLOAD_PATH}`]: exportDownloadRoute(exports) },
    daemons: [
      periodicDaemon({
        name: 'support-export-sweep',
        everyMs: EXPORT_SWEEP_EVERY_MS,
        run: async () => {
          const swept = await sweepExports(exports);
          if (swept > 0) app.logger.info({ swept }, 'incident exports swept');
        },
        onError: (err) => app.logger.error({ err }, 'incident export sweep failed'),
      }),
    ],
  };
}
