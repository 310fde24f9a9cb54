import type { AuthApp } from '../app.js';
import type { SignedInCaller } from '@kith/runtime';
import { ownKeysPage } from './api-key-store.js';

/** ListApiKeys: the caller's keys, newest first; live ones only unless `includeInactive`. */
export function listApiKeys(
  app: AuthApp,
  caller: SignedInCaller,
  input: { includeInactive: boolean; pageSize: number; pageToken: string },
) {
  return ownKeysPage(app, app.database.db, {
    accountId: caller.principal.userId,
    now: caller.now,
    ...input,
  });
}
