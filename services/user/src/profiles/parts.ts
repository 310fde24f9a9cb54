import { UserInternalService } from '@kith/gen/kith/user/v1/internal_pb.js';
import type { Subscription } from '@kith/bus';
import { toConnectError } from '@kith/errors';
import { serveInternal } from '@kith/runtime';
import type { Daemon } from '@kith/runtime';
import type { UserApp, UserAreaParts } from '../app.js';
import { profilesFromAuthEvents } from './from-auth-events.js';
import { profilesFromModerationEvents } from './from-moderation-events.js';
import { profileHandlers } from './handlers.js';
import { profileClients } from './internal-clients.js';
import { watchFollowCounts } from './profile-cache.js';
import { getReportSnapshot } from './report-snapshot.js';

/** UserInternalService (moderation's report snapshots) on the bus while the service runs. */
function internalServiceDaemon(app: UserApp): Daemon {
  let subscriptions: Subscription[] = [];
  return {
    name: 'user-internal-service',
    async start() {
      subscriptions = await serveInternal(
        app.bus,
        UserInternalService,
        {
          // Domain errors (NotFound) travel with their code, as a public RPC would answer.
          getReportSnapshot: (request) =>
            getReportSnapshot(app, request).catch((err: unknown) => {
              throw toConnectError(err, { logger: app.logger });
            }),
        },
        app.logger,
      );
    },
    async stop() {
      const stopping = subscriptions;
      subscriptions = [];
      await Promise.all(stopping.map((subscription) => subscription.stop()));
    },
  };
}

/** Profiles, settings and search: handlers, consumers and daemons. */
export function profilesParts(app: UserApp): UserAreaParts {
  const unwatch = watchFollowCounts(app);
  return {
    user: profileHandlers(app, profileClients(app)),
    consumers: [profilesFromAuthEvents(app), profilesFromModerationEvents(app)],
    daemons: [internalServiceDaemon(app)],
    async close() {
      unwatch();
    },
  };
}
