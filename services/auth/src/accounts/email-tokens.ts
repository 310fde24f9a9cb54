import { InvalidArgumentError } from '@kith/errors';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { randomSecret, sha256Hex } from '../crypto/secrets.js';
import type { AuthDatabase, EmailTokenPurpose, EmailTokenTable } from '../db/schema.js';
import type { Selectable } from 'kysely';

export type EmailToken = Selectable<EmailTokenTable>;

const PREFIX: Record<EmailTokenPurpose, string> = {
  verify_email: 'kith_ev_',
  change_email: 'kith_ev_',
  reset_password: 'kith_pr_',
  cancel_email_change: 'kith_ec_',
};

/** The one answer for a token that is unknown, used, expired or no longer fits the account. */
export function invalidLinkError(): InvalidArgumentError {
  return new InvalidArgumentError(
    [{ field: 'token', message: 'invalid or expired link' }],
    'invalid or expired link',
  );
}

/** Creates a single-use token mailed to `email`; only its hash is stored. Returns the secret. */
export async function issueEmailToken(
  trx: Kysely<AuthDatabase>,
  input: { accountId: string; purpose: EmailTokenPurpose; email: string; ttlMs: number; now: Date },
): Promise<string> {
  const token = randomSecret(PREFIX[input.purpose]);
  await trx
    .insertInto('email_tokens')
    .values({
      id: uuidv7(),
      account_id: input.accountId,
      purpose: input.purpose,
      token_hash: sha256Hex(token),
      email: input.email,
      created_at: input.now,
      expires_at: new Date(input.now.getTime() + input.ttlMs),
      used_at: null,
    })
    .execute();
  return token;
}

/** Marks the account's outstanding tokens of these purposes used, so only a newer one works. */
export async function retireEmailTokens(
  trx: Kysely<AuthDatabase>,
  accountId: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<void> {
  await trx
    .updateTable('email_tokens')
    .set({ used_at: now })
    .where('account_id', '=', accountId)
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .execute();
}

/** The token if it is live (right purpose, unused, unexpired); does not use it up. */
export async function findLiveEmailToken(
  db: Kysely<AuthDatabase>,
  token: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<EmailToken | undefined> {
  return db
    .selectFrom('email_tokens')
    .selectAll()
    .where('token_hash', '=', sha256Hex(token))
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/**
 * Uses the token up in one statement, so two concurrent redemptions cannot both succeed.
 * Undefined when it is not live.
 */
export async function redeemEmailToken(
  trx: Kysely<AuthDatabase>,
  token: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<EmailToken | undefined> {
  return trx
    .updateTable('email_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', sha256Hex(token))
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
}

/** `${base}/${path}?token=…`: the page of the web app that calls the matching RPC. */
export function emailLink(baseUrl: string, path: string, token: string): string {
  const url = new URL(`${baseUrl}/${path}`);
  url.searchParams.set('token', token);
  return url.toString();
}
