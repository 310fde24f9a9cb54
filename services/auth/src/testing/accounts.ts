import crypto from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import type { AuthApp } from '../app.js';
import { canonicalEmail, normalizeUsername, usernameSkeleton } from '../credentials/index.js';

/** Letters and digits the confusable skeleton leaves alone, so seeded names never collide. */
const PLAIN = 'abcdefghkpqstuxyz2346789';
const plainName = () =>
  `seed${Array.from(crypto.randomBytes(12), (b) => PLAIN[b % PLAIN.length]).join('')}`;

/**
 * A verified account with a signed-in session, written straight to the database: for tests of
 * what happens after login, independent of the sign-up path.
 */
export async function seedSignedInUser(
  app: AuthApp,
  options: { userAgent?: string; ip?: string } = {},
) {
  const id = uuidv7();
  const username = plainName();
  const email = `${username}@example.com`;
  const password = `seed password ${id}`;
  const now = app.clock();
  const tokens = await app.database.transaction(async (trx) => {
    await trx
      .insertInto('accounts')
      .values({
        id,
        email,
        email_canonical: canonicalEmail(email),
        email_verified_at: now,
        pending_email: null,
        username,
        username_normalized: normalizeUsername(username),
        username_skeleton: usernameSkeleton(username),
        password_hash: await app.hasher.hash(password),
        totp_secret_enc: null,
        totp_enabled_at: null,
        totp_last_step: null,
        totp_pending_secret_enc: null,
        totp_pending_expires_at: null,
        tokens_valid_after: new Date(now.getTime() - 1000),
        disabled_at: null,
        disabled_by: null,
        last_login_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const account = await trx
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return app.sessions.start(
      trx,
      account,
      { ip: options.ip ?? '127.0.0.1', userAgent: options.userAgent ?? 'seed', deviceLabel: '' },
      now,
    );
  });
  return {
    userId: id,
    email,
    username,
    password,
    accessToken: tokens.accessToken as string,
    refreshToken: tokens.refreshToken as string,
    sessionId: tokens.sessionId as string,
  };
}
