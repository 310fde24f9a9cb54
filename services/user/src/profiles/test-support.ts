import { createClient } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { withTables } from '@kith/db';
import type { Database } from '@kith/db';
import { decodeEvent } from '@kith/bus';
import type { OutboxTables } from '@kith/bus';
import { recordEvent } from '@kith/runtime';
import type { EventPayload, ServiceContext } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import type { Kysely } from 'kysely';
// By path: the user package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import type { UserDatabase } from '../db/schema.js';
import { userModule } from '../module.js';
import { insertProfile } from './profile-store.js';
import type { ProfilesDb } from './profile-store.js';
import { insertSettings } from './settings-store.js';

export const startUserHarness = () => startAuthHarness({ modules: [userModule] });

export function userContext(h: AuthHarness): ServiceContext<UserDatabase> {
  const ctx = h.kith.contexts.get('user');
  if (!ctx?.database) throw new Error('the user service is not running');
  return ctx as unknown as ServiceContext<UserDatabase>;
}

export function userDatabase(h: AuthHarness): Database<UserDatabase> {
  return userContext(h).database!;
}

export function userDb(h: AuthHarness): Kysely<UserDatabase> {
  return userDatabase(h).db;
}

/** UserService as an anonymous caller, or with a token. */
export function users(h: AuthHarness, token?: string): Client<typeof UserService> {
  return createClient(UserService, token ? h.as(token).transport : h.withHeaders({}).transport);
}

let counter = 0;
/** A short name no other test of this run uses (letters and digits). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36).slice(-5)}${counter.toString(36)}`;
}

/**
 * A signed-in user with a profile and settings, as auth.user_registered leaves them (written
 * directly: the consumer's own path is tested apart, through sign-up).
 */
export async function newUser(
  h: AuthHarness,
  options: { username?: string } = {},
): Promise<TestUser> {
  const user = await seedUser(h, options.username ? { username: options.username } : {});
  await userDatabase(h).transaction(async (trx) => {
    const db = withTables<ProfilesDb>(trx);
    await insertProfile(db, { userId: user.userId, username: user.username, locale: 'en' });
    await insertSettings(db, { userId: user.userId, locale: 'en' });
  });
  return user;
}

/**
 * Publishes an event as another service would, through the user service's own outbox (its relay
 * publishes it on `kith.events.<type>` like the real publisher's would).
 */
export async function publishAs(
  h: AuthHarness,
  source: string,
  payload: EventPayload,
): Promise<void> {
  await userDatabase(h).transaction(async (trx) => {
    await recordEvent(trx, { source, actor: { service: source }, payload });
  });
}

/** Polls until `check` holds (consumers apply events asynchronously). */
export function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  return waitFor(check, { timeoutMs: 10_000, intervalMs: 50, what });
}

/** The payloads the user service published (its outbox), oldest first. */
export async function publishedPayloads(h: AuthHarness) {
  const outbox = withTables<OutboxTables>(userDb(h));
  const rows = await outbox.selectFrom('outbox').select('data').orderBy('id').execute();
  return rows.map((row) => decodeEvent(row.data).payload);
}

/** The user service's profile_updated payloads about one user, oldest first. */
export async function profileEventsOf(h: AuthHarness, userId: string) {
  return (await publishedPayloads(h)).flatMap((p) =>
    p.case === 'userProfileUpdated' && p.value.userId === userId ? [p.value] : [],
  );
}

/** The user service's settings_updated payloads about one user, oldest first. */
export async function settingsEventsOf(h: AuthHarness, userId: string) {
  return (await publishedPayloads(h)).flatMap((p) =>
    p.case === 'userSettingsUpdated' && p.value.userId === userId ? [p.value] : [],
  );
}
