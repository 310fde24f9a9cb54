import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type {
  AccountDeletionSchema,
  Settings,
  SettingsSchema,
} from '@kith/gen/kith/user/v1/types_pb.js';
import { withTables } from '@kith/db';
import type { Trx } from '@kith/db';
import { InvalidArgumentError, NotFoundError } from '@kith/errors';
import type { FieldViolation } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import { findProfile } from './profile-store.js';
import type { ProfilesDb } from './profile-store.js';
import { findSettings, updateSettings as writeSettings } from './settings-store.js';
import type { SettingsChanges, SettingsRow } from './settings-store.js';

export function settingsMessage(row: SettingsRow): MessageInitShape<typeof SettingsSchema> {
  return {
    locale: row.locale,
    timeZone: row.time_zone,
    discoverable: row.discoverable,
    defaultAudience: row.default_audience,
    showSensitiveMedia: row.show_sensitive_media,
    mentionPolicy: row.mention_policy,
    contentLanguages: row.content_languages,
    indexable: row.indexable,
    version: BigInt(row.version),
  };
}

/** Publishes user.settings_updated with the settings other services enforce. */
export async function emitSettingsUpdated(
  app: UserApp,
  trx: Trx<UserDatabase>,
  actorId: string | null,
  row: SettingsRow,
): Promise<void> {
  await app.emit(trx, actorId, {
    case: 'userSettingsUpdated',
    value: {
      userId: row.user_id,
      mentionPolicy: row.mention_policy,
      contentLanguages: row.content_languages,
      indexable: row.indexable,
      discoverable: row.discoverable,
      version: BigInt(row.version),
    },
  });
}

/** The caller's settings, and the pending account deletion if any. */
export async function getSettings(
  app: UserApp,
  caller: SignedInCaller,
): Promise<{
  settings: MessageInitShape<typeof SettingsSchema>;
  pendingDeletion?: MessageInitShape<typeof AccountDeletionSchema>;
}> {
  const userId = caller.principal.userId;
  const db = withTables<ProfilesDb>(app.database.db);
  const [settings, profile] = await Promise.all([
    findSettings(db, userId),
    findProfile(db, userId),
  ]);
  if (!settings || !profile) throw new NotFoundError('settings not found');
  const scheduledFor = profile.deletion_scheduled_for;
  return {
    settings: settingsMessage(settings),
    pendingDeletion: scheduledFor
      ? {
          requestedAt: profile.deletion_requested_at
            ? timestampFromDate(profile.deletion_requested_at)
            : undefined,
          scheduledFor: timestampFromDate(scheduledFor),
        }
      : undefined,
  };
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((value, i) => value === b[i]);

function changesOf(row: SettingsRow, input: Settings, paths: ReadonlySet<string>): SettingsChanges {
  const changes: SettingsChanges = {};
  if (paths.has('locale') && input.locale !== row.locale) changes.locale = input.locale;
  if (paths.has('time_zone') && input.timeZone !== row.time_zone) {
    changes.timeZone = input.timeZone;
  }
  if (paths.has('discoverable') && input.discoverable !== row.discoverable) {
    changes.discoverable = input.discoverable;
  }
  if (paths.has('default_audience') && input.defaultAudience !== row.default_audience) {
    changes.defaultAudience = input.defaultAudience;
  }
  if (paths.has('show_sensitive_media') && input.showSensitiveMedia !== row.show_sensitive_media) {
    changes.showSensitiveMedia = input.showSensitiveMedia;
  }
  if (paths.has('mention_policy') && input.mentionPolicy !== row.mention_policy) {
    changes.mentionPolicy = input.mentionPolicy;
  }
  if (paths.has('content_languages') && !sameList(input.contentLanguages, row.content_languages)) {
    changes.contentLanguages = [...input.contentLanguages];
  }
  if (paths.has('indexable') && input.indexable !== row.indexable) {
    changes.indexable = input.indexable;
  }
  return changes;
}

/** Settings other services enforce: a change to one publishes user.settings_updated. */
const ENFORCED: readonly (keyof SettingsChanges)[] = [
  'mentionPolicy',
  'contentLanguages',
  'indexable',
  'discoverable',
];

/**
 * Updates the caller's settings named in the mask; an enum named there must not be
 * UNSPECIFIED. Any change bumps the settings' version; a change to a setting other services
 * enforce also publishes user.settings_updated with it.
 */
export async function updateSettings(
  app: UserApp,
  caller: SignedInCaller,
  input: { settings: Settings; paths: readonly string[] },
): Promise<MessageInitShape<typeof SettingsSchema>> {
  const userId = caller.principal.userId;
  const paths = new Set(input.paths);
  const violations: FieldViolation[] = [];
  if (paths.has('default_audience') && input.settings.defaultAudience === 0) {
    violations.push({ field: 'settings.default_audience', message: 'must be set' });
  }
  if (paths.has('mention_policy') && input.settings.mentionPolicy === 0) {
    violations.push({ field: 'settings.mention_policy', message: 'must be set' });
  }
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  const row = await app.database.transaction(async (trx) => {
    const current = await findSettings(withTables<ProfilesDb>(trx), userId, { forUpdate: true });
    if (!current) throw new NotFoundError('settings not found');
    const changes = changesOf(current, input.settings, paths);
    if (Object.keys(changes).length === 0) return current;
    const updated = await writeSettings(withTables<ProfilesDb>(trx), userId, changes, caller.now);
    if (ENFORCED.some((key) => changes[key] !== undefined)) {
      await emitSettingsUpdated(app, trx, userId, updated);
    }
    return updated;
  });
  return settingsMessage(row);
}
