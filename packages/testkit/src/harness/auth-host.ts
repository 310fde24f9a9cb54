import type { Transport } from '@connectrpc/connect';
import type { ManualClock } from './manual-clock.js';

/**
 * What a service's test harness needs of auth's (`startAuthHarness`), which a test file passes
 * in: only a test file may reach into another service.
 */
export interface AuthHost {
  clock: ManualClock;
  as(token: string): { transport: Transport };
  stop(): Promise<void>;
}

/** A signed-in account, as auth's `seedUser` makes one. */
export interface SeededAccount {
  userId: string;
  username: string;
  accessToken: string;
}
