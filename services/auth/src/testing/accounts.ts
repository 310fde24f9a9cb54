import crypto from 'node:crypto';
import type { Client } from '@connectrpc/connect';
import type { Role } from '@kith/context';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { uuidv7 } from 'uuidv7';
import { insertAccount } from '../accounts/account-store.js';
import { canonicalEmail } from '../credentials/index.js';
import { keepDevice } from '../devices/known-devices.js';
import { totpSecretPurpose } from '../mfa/factors.js';
import { generateTotpSecret, totpAt } from '../mfa/totp.js';
import type { Device } from '../sessions/sessions.js';
import type { AuthHarness } from './harness.js';
import { TEST_USER_AGENT, signedInClient } from './support.js';

/** An account as a test knows it: what it signs in with. */
export interface TestAccount {
  userId: string;
  email: string;
  username: string;
  /** '' for an account without a password (OIDC only). */
  password: string;
}

/** The tokens of one session, and the device credential its login handed out. */
export interface SessionTokens {
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  deviceToken: string;
}

/** A signed-in account: the account and one session of it. */
export type TestUser = TestAccount & SessionTokens;

/** A TOTP factor as its owner holds it. */
export interface TotpFactor {
  secret: string;
  recoveryCodes: string[];
}

/** Letters and digits the confusable skeleton leaves alone, so generated names never collide. */
const PLAIN = 'abcdefghkpqstuxyz2346789';

/** Credentials no other account in this process has: an e-mail already in canonical form. */
export function uniqueUser(): { email: string; username: string; password: string } {
  const tag = Array.from(crypto.randomBytes(12), (b) => PLAIN[b % PLAIN.length]).join('');
  return {
    email: `user${tag}@example.com`,
    username: `user${tag}`,
    password: `correct horse ${tag} battery`,
  };
}

export interface SeedOptions {
  email?: string;
  username?: string;
  /** `null`: an account without a password (OIDC only). */
  password?: string | null;
  role?: Role;
  /** Whether the e-mail address is verified (default true). */
  verified?: boolean;
  disabled?: boolean;
  /** `false`: the account only, for tests that sign it in themselves (default true). */
  signedIn?: boolean;
  /** The session's device (default 127.0.0.1, the test user agent, no label). */
  ip?: string;
  userAgent?: string;
  deviceLabel?: string;
  /** TOTP enrolled and confirmed through the API on the session; the clock then moves a step. */
  totp?: boolean;
}

type Seeded<O extends SeedOptions> = O extends { signedIn: false }
  ? TestAccount
  : O extends { totp: true }
    ? TestUser & { totp: TotpFactor }
    : TestUser;

/**
 * An account written straight to the database, signed in unless told otherwise: for tests of
 * what happens after sign-up, independent of the sign-up flow and its per-address limits
 * (`h.signUp()` goes through that flow).
 */
export async function seedUser<const O extends SeedOptions = Record<never, never>>(
  h: AuthHarness,
  options?: O,
): Promise<Seeded<O>> {
  const o: SeedOptions = options ?? {};
  const generated = uniqueUser();
  const email = o.email ?? generated.email;
  const username = o.username ?? generated.username;
  const password = o.password === undefined ? generated.password : o.password;
  const now = h.clock.now();
  const userId = uuidv7();
  await insertAccount(h.app.database.db, {
    id: userId,
    email,
    emailCanonical: canonicalEmail(email),
    emailVerifiedAt: o.verified === false ? null : now,
    username,
    passwordHash: password === null ? null : await h.app.hasher.hash(password),
    // The column's default, as an account created before locales were recorded has.
    locale: '',
    now,
  });
  // What sign-up never sets: a role, a disabling, and tokens valid from a second before now (so
  // the session started next is valid whatever the rounding of its token's issue time).
  await h.app.database.db
    .updateTable('accounts')
    .set({
      role: o.role ?? 'user',
      disabled_at: o.disabled ? now : null,
      tokens_valid_after: new Date(now.getTime() - 1000),
    })
    .where('id', '=', userId)
    .execute();
  const account: TestAccount = { userId, email, username, password: password ?? '' };
  if (o.signedIn === false) {
    if (o.totp) throw new Error('seedUser: TOTP is enrolled on a session; drop signedIn: false');
    return account as Seeded<O>;
  }
  const user: TestUser = {
    ...account,
    ...(await startSession(h, account, {
      ip: o.ip,
      userAgent: o.userAgent,
      deviceLabel: o.deviceLabel,
    })),
  };
  if (!o.totp) return user as Seeded<O>;
  if (password === null) throw new Error('seedUser: TOTP enrolment needs the password');
  const totp = await enableTotp(h, signedInClient(h, user.accessToken), password);
  return { ...user, totp } as Seeded<O>;
}

/**
 * A new session (a new device) for an existing account, started the way Login starts one, with
 * a token carrying the account's current role and a device credential of its own.
 */
export async function startSession(
  h: AuthHarness,
  account: Pick<TestAccount, 'userId'>,
  device: Partial<Device> = {},
): Promise<SessionTokens> {
  const now = h.clock.now();
  const { tokens, deviceToken } = await h.app.database.transaction(async (trx) => {
    const row = await trx
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', account.userId)
      .executeTakeFirstOrThrow();
    const started = await h.app.sessions.start(
      trx,
      row,
      {
        ip: device.ip ?? '127.0.0.1',
        userAgent: device.userAgent ?? TEST_USER_AGENT,
        deviceLabel: device.deviceLabel ?? '',
      },
      now,
    );
    return { tokens: started, deviceToken: await keepDevice(trx, row.id, null, now) };
  });
  return {
    sessionId: tokens.sessionId!,
    accessToken: tokens.accessToken!,
    refreshToken: tokens.refreshToken!,
    deviceToken,
  };
}

/** One TOTP time step. */
export const TOTP_STEP_MS = 30_000;

/**
 * Enrols TOTP (with the account's password) and confirms it with a first code, as its owner
 * would, on a signed-in client; the clock then moves one step, so the next code is not the
 * confirming one.
 */
export async function enableTotp(
  h: AuthHarness,
  client: Client<typeof AuthService>,
  password: string,
): Promise<TotpFactor> {
  const { secret } = await client.enrollTotp({ currentPassword: password });
  const { recoveryCodes } = await client.confirmTotp({ totpCode: totpAt(secret, h.clock.now()) });
  h.clock.advance(TOTP_STEP_MS);
  return { secret, recoveryCodes };
}

/**
 * TOTP written straight to the account (sealed as the service seals it), for an account the API
 * cannot enrol: one without a password (OIDC only), which EnrollTotp refuses. Returns the secret.
 */
export async function seedTotp(h: AuthHarness, account: Pick<TestAccount, 'userId'>) {
  const secret = generateTotpSecret();
  await h.app.database.db
    .updateTable('accounts')
    .set({
      totp_secret_enc: h.app.box.seal(secret, totpSecretPurpose(account.userId)),
      totp_enabled_at: h.clock.now(),
    })
    .where('id', '=', account.userId)
    .execute();
  return secret;
}
