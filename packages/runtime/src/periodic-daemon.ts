import { createPollingLoop } from '@kith/db';
import type { Daemon } from './module.js';

/**
 * Work that runs at start and then every `everyMs` (key rotation, sweeps): never two runs at
 * once, a failed run reported and retried at the next turn, and `stop` waits for a run in
 * flight so the database is never closed under it.
 */
export function periodicDaemon(options: {
  name: string;
  everyMs: number;
  run(): Promise<void>;
  onError(err: unknown): void;
}): Daemon {
  const loop = createPollingLoop({
    batchSize: 1,
    pollMs: options.everyMs,
    onError: options.onError,
    async pass() {
      await options.run();
      return 0;
    },
  });
  return { name: options.name, start: () => loop.start(), stop: () => loop.stop() };
}
