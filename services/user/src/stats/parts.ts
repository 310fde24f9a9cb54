import { withTables } from '@kith/db';
import { createLogger } from '@kith/logging';
import { periodicDaemon } from '@kith/runtime';
import type { UserApp, UserAreaParts } from '../app.js';
import { statsFromAuthEvents, statsFromUserEvents } from './consumers.js';
import { dayOf } from './days.js';
import { statsHandlers } from './get-stats.js';
import { pruneActiveDays } from './stats-store.js';
import type { StatsDb } from './stats-store.js';

/**
 * How long who-was-active-when is kept: the longest window (366 days) plus the 30 days MAU
 * looks back from its end, and a margin. Older activity is deleted; the anonymous counters stay.
 */
export const STATS_ACTIVE_RETENTION_DAYS = 400;
/** How often old activity is pruned. */
export const STATS_PRUNE_MS = 3_600_000;

/** Deletes who-was-active-when older than the retention; how many rows went. */
export function pruneOldActivity(app: UserApp): Promise<number> {
  const before = dayOf(app.clock()) - STATS_ACTIVE_RETENTION_DAYS;
  return pruneActiveDays(withTables<StatsDb>(app.database.db), before);
}

/** The stats area: UserAdminService.GetStats, its two consumers and the activity pruning. */
export function statsParts(app: UserApp): UserAreaParts {
  const logger = createLogger(app.logger, 'user:stats');
  return {
    admin: statsHandlers(app),
    consumers: [statsFromAuthEvents(app), statsFromUserEvents(app)],
    daemons: [
      periodicDaemon({
        name: 'user:stats-prune',
        everyMs: STATS_PRUNE_MS,
        async run() {
          await pruneOldActivity(app);
        },
        onError: (err) => logger.error({ err }, 'pruning old activity failed'),
      }),
    ],
  };
}
