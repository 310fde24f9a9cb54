import { createLogger } from '@kith/logging';
import { periodicDaemon } from '@kith/runtime';
import type { Daemon } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import { expireRegistrations } from './expire.js';

/** How often unverified sign-ups are swept. */
export const REGISTRATION_EXPIRY_INTERVAL_MS = 60 * 60_000;

/** Sweeps expired sign-ups at start and then every `intervalMs` (see periodicDaemon). */
export function registrationExpiryDaemon(
  app: AuthApp,
  { intervalMs = REGISTRATION_EXPIRY_INTERVAL_MS }: { intervalMs?: number } = {},
): Daemon {
  const logger = createLogger(app.logger, 'auth:registration-expiry');
  return periodicDaemon({
    name: 'auth:registration-expiry',
    everyMs: intervalMs,
    async run() {
      const removed = await expireRegistrations(app);
      if (removed > 0) logger.info({ removed }, 'unverified registrations expired');
    },
    onError: (err) => logger.error({ err }, 'registration expiry failed'),
  });
}
