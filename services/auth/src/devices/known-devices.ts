import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { randomSecret, sha256Hex } from '../crypto/secrets.js';
import type { AuthDatabase } from '../db/schema.js';
import type { LoginIdentifier } from '../login/identifier.js';
import {
  deleteAccountDevices,
  findAccountDevice,
  findDeviceForLoginName,
  insertDevice,
  touchDevice,
} from './device-store.js';

/**
 * A device credential: 256 random bits the server issues at a successful login, bound to that
 * account, kept by the client and sent back on its later logins. Only its hash is stored. It is
 * what "known device" means: the new-device e-mail code is skipped for it, and its failed logins
 * are counted apart from everyone else's. Unlike a header, nobody else can copy it.
 */
export const DEVICE_TOKEN_PREFIX = 'kith_dev_';

export interface KnownDevice {
  id: string;
  accountId: string;
  /** The credential as presented: given back unchanged, so a client keeps what it has. */
  token: string;
}

/** The device a login by `identifier` presents, when its credential was issued to that account. */
export async function recognizeDeviceFor(
  db: Kysely<AuthDatabase>,
  identifier: LoginIdentifier,
  token: string,
): Promise<KnownDevice | null> {
  if (token === '') return null;
  const column = identifier.kind === 'email' ? 'email_canonical' : 'username_normalized';
  const row = await findDeviceForLoginName(db, sha256Hex(token), column, identifier.canonical);
  return row ? { id: row.id, accountId: row.account_id, token } : null;
}

/** The device presented with a login step of `accountId`, when it is one of that account's. */
export async function recognizeDevice(
  db: Kysely<AuthDatabase>,
  accountId: string,
  token: string,
): Promise<KnownDevice | null> {
  if (token === '') return null;
  const row = await findAccountDevice(db, accountId, sha256Hex(token));
  return row ? { id: row.id, accountId: row.account_id, token } : null;
}

/**
 * After a successful login: the credential the client keeps. A known device of this account
 * keeps its own; any other gets a new one.
 */
export async function keepDevice(
  trx: Kysely<AuthDatabase>,
  accountId: string,
  known: KnownDevice | null,
  now: Date,
): Promise<string> {
  if (known !== null && known.accountId === accountId) {
    await touchDevice(trx, known.id, now);
    return known.token;
  }
  const token = randomSecret(DEVICE_TOKEN_PREFIX);
  await insertDevice(trx, {
    id: uuidv7(),
    account_id: accountId,
    token_hash: sha256Hex(token),
    created_at: now,
    last_used_at: now,
  });
  return token;
}

/** The throttle's trusted origin for a known device. */
export function deviceOrigin(device: KnownDevice | null): string | undefined {
  return device === null ? undefined : `device:${device.id}`;
}

/**
 * Every device credential of the account stops counting as known: after a credential change,
 * a disabling, an MFA reset or LogoutAll, a device an intruder signed in from must not keep
 * skipping the new-device code or enjoy a known device's separate login budget. The owner's own
 * devices are asked for the mailed code once, on their next login.
 */
export async function forgetDevices(trx: Kysely<AuthDatabase>, accountId: string): Promise<void> {
  await deleteAccountDevices(trx, accountId);
}
