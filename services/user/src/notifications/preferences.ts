import { create } from '@bufbuild/protobuf';
import type { DailyWindow } from '@kith/gen/kith/common/v1/common_pb.js';
import { DailyWindowSchema } from '@kith/gen/kith/common/v1/common_pb.js';
import {
  FilterAction,
  NotificationPreferencesSchema,
  NotificationType,
} from '@kith/gen/kith/user/v1/notification_pb.js';
import type {
  NotificationPreferences,
  TypePreference,
} from '@kith/gen/kith/user/v1/notification_pb.js';
import type { PreferencesRow, StoredTypePreference } from './notification-store.js';
import { ALWAYS_DELIVERED, EVERY_TYPE } from './types.js';

/** One type's delivery channels. */
export interface Channels {
  inApp: boolean;
  push: boolean;
  email: boolean;
}

/** The preferences a user has in effect: what they stored, the defaults for the rest. */
export interface EffectivePreferences {
  perType: Map<NotificationType, Channels>;
  policy: {
    fromNotFollowing: FilterAction;
    fromNotFollowers: FilterAction;
    fromNewAccounts: FilterAction;
    fromLimitedAccounts: FilterAction;
  };
  quietHours: { startMinute: number; endMinute: number; timeZone: string } | undefined;
  quietHoursEnabled: boolean;
  version: number;
}

/**
 * Every type on every channel, but SECURITY_ALERT: the auth service mails the account itself,
 * so that type never goes out by e-mail from here.
 */
export function defaultChannels(type: NotificationType): Channels {
  return { inApp: true, push: true, email: type !== NotificationType.SECURITY_ALERT };
}

/** What a stored (or missing) row means, defaults filled in and the fixed channels forced. */
export function effectivePreferences(row: PreferencesRow | undefined): EffectivePreferences {
  const perType = new Map<NotificationType, Channels>();
  for (const type of EVERY_TYPE) {
    const stored = row?.per_type[String(type)];
    perType.set(type, fixedChannels(type, stored ? fromStored(stored) : defaultChannels(type)));
  }
  const hasWindow = row && row.quiet_start_minute !== null && row.quiet_end_minute !== null;
  return {
    perType,
    policy: {
      fromNotFollowing: row?.from_not_following ?? FilterAction.ACCEPT,
      fromNotFollowers: row?.from_not_followers ?? FilterAction.ACCEPT,
      fromNewAccounts: row?.from_new_accounts ?? FilterAction.FILTER,
      fromLimitedAccounts: row?.from_limited_accounts ?? FilterAction.FILTER,
    },
    quietHours: hasWindow
      ? {
          startMinute: row.quiet_start_minute!,
          endMinute: row.quiet_end_minute!,
          timeZone: row.quiet_time_zone,
        }
      : undefined,
    quietHoursEnabled: row?.quiet_hours_enabled ?? false,
    version: row?.version ?? 1,
  };
}

/** The channels no preference can change: SOS-class in-app and push, no e-mail for security. */
export function fixedChannels(type: NotificationType, channels: Channels): Channels {
  if (ALWAYS_DELIVERED.has(type)) return { ...channels, inApp: true, push: true };
  if (type === NotificationType.SECURITY_ALERT) return { ...channels, email: false };
  return channels;
}

function fromStored(stored: StoredTypePreference): Channels {
  return { inApp: stored.in_app, push: stored.push, email: stored.email };
}

/** The stored form of every type's channels. */
export function toStored(
  perType: Map<NotificationType, Channels>,
): Record<string, StoredTypePreference> {
  const out: Record<string, StoredTypePreference> = {};
  for (const [type, c] of perType) {
    out[String(type)] = { in_app: c.inApp, push: c.push, email: c.email };
  }
  return out;
}

/** The message GetNotificationPreferences answers: every type listed, in enum order. */
export function preferencesMessage(prefs: EffectivePreferences): NotificationPreferences {
  const perType: TypePreference[] = EVERY_TYPE.map((type) => {
    const c = prefs.perType.get(type) ?? defaultChannels(type);
    return { $typeName: 'kith.user.v1.TypePreference', type, ...c };
  });
  let quietHours: DailyWindow | undefined;
  if (prefs.quietHours) {
    quietHours = create(DailyWindowSchema, {
      startMinute: prefs.quietHours.startMinute,
      endMinute: prefs.quietHours.endMinute,
      timeZone: prefs.quietHours.timeZone,
    });
  }
  return create(NotificationPreferencesSchema, {
    perType,
    policy: prefs.policy,
    quietHours,
    quietHoursEnabled: prefs.quietHoursEnabled,
    version: prefs.version,
  });
}
