import { InvalidArgumentError } from '@kith/errors';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { randomSecret, sha256Hex } from '../crypto/secrets.js';
import type { AuthDatabase, EmailTokenPurpose } from '../db/schema.js';
import {
  findLiveEmailToken as findLiveEmailTokenByHash,
  insertEmailToken,
  redeemEmailToken as redeemEmailTokenByHash,
} from './account-store.js';
import type { EmailToken } from './account-store.js';

export { retireEmailTokens } from './account-store.js';
export type { EmailToken } from './account-store.js';

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
  await insertEmailToken(trx, {
    id: uuidv7(),
    account_id: input.accountId,
    purpose: input.purpose,
    token_hash: sha256Hex(token),
    email: input.email,
    created_at: input.now,
    expires_at: new Date(input.now.getTime() + input.ttlMs),
    used_at: null,
  });
  return token;
}

/** The token if it is live (right purpose, unused, unexpired); does not use it up. */
export function findLiveEmailToken(
  db: Kysely<AuthDatabase>,
  token: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<EmailToken | undefined> {
  return findLiveEmailTokenByHash(db, sha256Hex(token), purposes, now);
}

/** Uses the token up, atomically; undefined when it is not live. */
export function redeemEmailToken(
  trx: Kysely<AuthDatabase>,
  token: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<EmailToken | undefined> {
  return redeemEmailTokenByHash(trx, sha256Hex(token), purposes, now);
}

/** `${base}/${path}?token=…`: the page of the web app that calls the matching RPC. */
export function emailLink(baseUrl: string, path: string, token: string): string {
  const url = new URL(`${baseUrl}/${path}`);
  url.searchParams.set('token', token);
  return url.toString();
}
