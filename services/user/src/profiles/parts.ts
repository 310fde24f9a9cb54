import { UserInternalService } from '@kith/gen/kith/user/v1/internal_pb.js';
import { internalServiceDaemon } from '@kith/runtime';
import type { UserApp, UserAreaParts } from '../app.js';
import { profilesFromAuthEvents } from './from-auth-events.js';
import { profilesFromModerationEvents } from './from-moderation-events.js';
import { profileHandlers } from './handlers.js';
import { profileClients } from './internal-clients.js';
import { watchFollowCounts } from './profile-cache.js';
import { getReportSnapshot } from './report-snapshot.js';

/** Profiles, settings and search: handlers, consumers and daemons. */
export function profilesParts(app: UserApp): UserAreaParts {
  const unwatch = watchFollowCounts(app);
  return {
    user: profileHandlers(app, profileClients(app)),
    consumers: [profilesFromAuthEvents(app), profilesFromModerationEvents(app)],
    // UserInternalService (moderation's report snapshots) on the bus while the service runs.
    daemons: [
      internalServiceDaemon(
        'user-internal-service',
        app.bus,
        UserInternalService,
        {
          getReportSnapshot: (request) => getReportSnapshot(app, request),
        },
        app.logger,
      ),
    ],
    async close() {
      unwatch();
    },
  };
}
