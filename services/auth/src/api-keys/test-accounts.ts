import crypto from 'node:crypto';
import type { Role } from '@kith/context';
import { uuidv7 } from 'uuidv7';
import type { AuthHarness } from '../testing/harness.js';

export interface TestUser {
  userId: string;
  email: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

/**
 * A new session (a new device) for an existing account, started the way Login starts one, with
 * a token carrying the account's current role.
 */
export async function anotherSession(
  h: AuthHarness,
  user: Pick<TestUser, 'userId'>,
): Promise<TestUser> {
  const now = h.clock.now();
  return h.app.database.transaction(async (trx) => {
    const account = await trx
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', user.userId)
      .executeTakeFirstOrThrow();
    const tokens = await h.app.sessions.start(
      trx,
      account,
      { ip: '127.0.0.1', userAgent: 'test', deviceLabel: 'test' },
      now,
    );
    return {
      userId: account.id,
      email: account.email,
      accessToken: tokens.accessToken!,
      refreshToken: tokens.refreshToken!,
      sessionId: tokens.sessionId!,
    };
  });
}

/**
 * A verified, signed-in account made straight in the database. Not `h.signUp()`: these files
 * make dozens of accounts from one client address, and Register rightly limits that (5 per
 * 30 min per address); what is tested here starts after sign-in.
 */
export async function signedInUser(
  h: AuthHarness,
  options: { role?: Role } = {},
): Promise<TestUser> {
  const now = h.clock.now();
  const tag = crypto.randomBytes(6).toString('hex');
  const email = `user${tag}@example.com`;
  const account = await h.app.database.db
    .insertInto('accounts')
    .values({
      id: uuidv7(),
      email,
      email_canonical: email,
      email_verified_at: now,
      username: `user${tag}`,
      username_normalized: `user${tag}`,
      username_skeleton: `user${tag}`,
      role: options.role ?? 'user',
      tokens_valid_after: now,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return anotherSession(h, { userId: account.id });
}
