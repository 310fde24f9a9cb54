import { createClient } from '@connectrpc/connect';
import type { Client, Transport } from '@connectrpc/connect';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { withTables } from '@kith/db';
import type { Database } from '@kith/db';
import { decodeEvent } from '@kith/bus';
import type { OutboxTables } from '@kith/bus';
import { recordEvent } from '@kith/runtime';
import type { EventPayload, ServiceContext } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import type { Kysely } from 'kysely';
import type { UserDatabase } from '../../db/schema.js';
import { insertProfile } from '../profile-store.js';
import type { ProfilesDb } from '../profile-store.js';
import { insertSettings } from '../settings-store.js';

/**
 * What these helpers need of the test harness (auth's `startAuthHarness`, which tests import
 * themselves: only a test file may reach into another service).
 */
export interface AuthHarness {
  kith: { contexts: ReadonlyMap<string, ServiceContext> };
  as(token: string): { transport: Transport };
  withHeaders(headers: Record<string, string>): { transport: Transport };
}

export function userContext(h: AuthHarness): ServiceContext<UserDatabase> {
  const ctx = h.kith.contexts.get('user');
  if (!ctx?.database) throw new Error('the user service is not running');
  return ctx as ServiceContext<UserDatabase>;
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
 * Gives a seeded account its profile and settings, as auth.user_registered leaves them (written
 * directly: the consumer's own path is tested apart, through sign-up).
 */
export async function withProfile<U extends { userId: string; username: string }>(
  h: AuthHarness,
  user: U,
): Promise<U> {
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
