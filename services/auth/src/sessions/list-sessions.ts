import type { AuthApp } from '../app.js';
import type { SignedInCaller } from '@kith/runtime';
import { liveSessionsPage } from './session-store.js';

/** ListSessions: the caller's sessions still usable now, newest first. */
export function listSessions(
  app: AuthApp,
  caller: SignedInCaller,
  page: { pageSize: number; pageToken: string },
) {
  return liveSessionsPage(app, app.database.db, {
    accountId: caller.principal.userId,
    now: caller.now,
    idleTtlMs: app.config.refreshIdleTtlMs,
    ...page,
  });
}
