import { periodicDaemon } from '@kith/runtime';
import type { UserApp, UserAreaParts } from '../app.js';
import { graphHandlers } from './handlers.js';
import { expireMutes } from './mutes.js';

/** How often the mute expiry daemon looks for mutes past their end. */
export const MUTE_EXPIRY_EVERY_MS = 30_000;

/** The graph area: follows, follow requests, blocks, mutes, relationships, and mute expiry. */
export function graphParts(app: UserApp): UserAreaParts {
  return {
    user: graphHandlers(app),
    daemons: [
      periodicDaemon({
        name: 'user-mute-expiry',
        everyMs: MUTE_EXPIRY_EVERY_MS,
        run: async () => {
          await expireMutes(app);
        },
        onError: (err) => app.logger.error({ err }, 'mute expiry failed'),
      }),
    ],
  };
}
