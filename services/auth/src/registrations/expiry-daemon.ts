import { createLogger } from '@kith/logging';
import type { Daemon } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import { expireRegistrations } from './expire.js';

/** How often unverified sign-ups are swept. */
export const REGISTRATION_EXPIRY_INTERVAL_MS = 60 * 60_000;

/**
 * Sweeps expired sign-ups at start and then every `intervalMs`. A sweep still running when the
 * next is due is not doubled; a failed sweep is logged and the next one tries again. `stop`
 * waits for a sweep in flight, so the database is never closed under it.
 */
export function registrationExpiryDaemon(
  app: AuthApp,
  { intervalMs = REGISTRATION_EXPIRY_INTERVAL_MS }: { intervalMs?: number } = {},
): Daemon {
  const logger = createLogger(app.logger, 'auth:registration-expiry');
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  const sweep = () => {
    if (sweeping) return;
    sweeping = expireRegistrations(app)
      .then(
        (removed) => {
          if (removed > 0) logger.info({ removed }, 'unverified registrations expired');
        },
        (err: unknown) => logger.error({ err }, 'registration expiry failed'),
      )
      .finally(() => {
        sweeping = undefined;
      });
  };
  return {
    name: 'auth:registration-expiry',
    start() {
      sweep();
      timer = setInterval(sweep, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await sweeping;
    },
  };
}
