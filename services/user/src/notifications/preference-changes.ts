import { withTables } from '@kith/db';
import { AbortedError, InvalidArgumentError } from '@kith/errors';
import type { NotificationPreferences } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import { findPreferences, lockPreferences, savePreferences } from './notification-store.js';
import type { NotificationStoreDb } from './notification-store.js';
import {
  effectivePreferences,
  fixedChannels,
  preferencesMessage,
  toStored,
} from './preferences.js';

/** The caller's preferences, every type listed and the defaults filled in. */
export async function getPreferences(
  app: UserApp,
  caller: SignedInCaller,
): Promise<NotificationPreferences> {
  const row = await findPreferences(
    withTables<NotificationStoreDb>(app.database.db),
    caller.principal.userId,
  );
  return preferencesMessage(effectivePreferences(row));
}

export interface PreferencesUpdate {
  preferences: NotificationPreferences;
  paths: readonly string[];
  /** 0 = do not check. */
  baseVersion: number;
}

function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Changes the fields named in the mask (protovalidate has already checked their shape and that
 * SOS-class in-app and push stay on). The row is locked, so with base_version set a concurrent
 * change answers Aborted instead of being overwritten.
 */
export async function updatePreferences(
  app: UserApp,
  caller: SignedInCaller,
  input: PreferencesUpdate,
): Promise<NotificationPreferences> {
  const { preferences, paths } = input;
  const window = preferences.quietHours;
  if (paths.includes('quiet_hours') && window && !knownTimeZone(window.timeZone)) {
    throw new InvalidArgumentError([
      { field: 'preferences.quiet_hours.time_zone', message: 'is not a known time zone' },
    ]);
  }
  const userId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const db = withTables<NotificationStoreDb>(trx);
    const row = await lockPreferences(db, userId);
    if (input.baseVersion !== 0 && input.baseVersion !== row.version) {
      throw new AbortedError('the preferences changed since base_version; read them again');
    }
    if (paths.length === 0) return preferencesMessage(effectivePreferences(row));
    const current = effectivePreferences(row);
    if (paths.includes('per_type')) {
      for (const p of preferences.perType) {
        current.perType.set(
          p.type,
          fixedChannels(p.type, { inApp: p.inApp, push: p.push, email: p.email }),
        );
      }
    }
    if (paths.includes('policy') && preferences.policy) {
      const p = preferences.policy;
      current.policy = {
        fromNotFollowing: p.fromNotFollowing,
        fromNotFollowers: p.fromNotFollowers,
        fromNewAccounts: p.fromNewAccounts,
        fromLimitedAccounts: p.fromLimitedAccounts,
      };
    }
    if (paths.includes('quiet_hours') && window) {
      current.quietHours = {
        startMinute: window.startMinute,
        endMinute: window.endMinute,
        timeZone: window.timeZone,
      };
    }
    if (paths.includes('quiet_hours_enabled')) {
      current.quietHoursEnabled = preferences.quietHoursEnabled;
    }
    const saved = await savePreferences(db, userId, {
      per_type: toStored(current.perType),
      from_not_following: current.policy.fromNotFollowing,
      from_not_followers: current.policy.fromNotFollowers,
      from_new_accounts: current.policy.fromNewAccounts,
      from_limited_accounts: current.policy.fromLimitedAccounts,
      quiet_start_minute: current.quietHours?.startMinute ?? null,
      quiet_end_minute: current.quietHours?.endMinute ?? null,
      quiet_time_zone: current.quietHours?.timeZone ?? '',
      quiet_hours_enabled: current.quietHoursEnabled,
      updated_at: caller.now,
    });
    return preferencesMessage(effectivePreferences(saved));
  });
}
