import { AlreadyExistsError, InvalidArgumentError, PermissionDeniedError } from '@kith/errors';
import type { Consent } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { Caller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { AuthApp } from '../app.js';
import { emailDomainBlocked, ipBlocked } from '../admin/admin-store.js';
import { consentRecord } from './consent.js';
import { audit } from '../audit/audit-store.js';
import { emailDomain } from '../credentials/index.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import type { RequestMeta } from '@kith/runtime';
import { sendMail } from './account-mail.js';
import { findAccountByCanonicalEmail, insertAccount, usernameTaken } from './account-store.js';
import { emailLink, issueEmailToken } from './email-tokens.js';
import { signUpWithKnownAddressMail, verifyEmailMail } from './mail-templates.js';
import { accountConflict } from './unique-violation.js';
import { validateRegistration } from './violations.js';
import type { Registration } from './violations.js';

const DEFAULT_LOCALE = 'en';

/**
 * Register. The answer is the same empty message whether or not the address is known: a new
 * address gets a verification link, a known one's owner gets a notice, and both paths hash the
 * password and write in one transaction so that neither answers faster.
 */
export async function register(
  app: AuthApp,
  caller: Caller,
  input: {
    email: string;
    username: string;
    password: string;
    locale: string;
    consent: Consent | undefined;
  },
): Promise<void> {
  const { meta, now } = caller;
  await app.throttle.beforeSignUp(meta.ip);
  if (!input.consent) {
    throw new InvalidArgumentError([{ field: 'consent', message: 'is required' }]);
  }
  const registration = validateRegistration(input);
  await refuseBlockedSignUp(app, registration, meta, now);
  // Counted for known and unknown addresses alike: each sign-up sends one mail either way.
  await app.throttle.beforeMail(meta.ip, registration.emailCanonical);
  // Outside the transaction: argon2 takes tens of milliseconds and must not hold a connection.
  const passwordHash = await app.hasher.hash(input.password);

  const consent = consentRecord(input.consent, now);
  const locale = input.locale || DEFAULT_LOCALE;

  try {
    await app.database.transaction(async (trx) => {
      if (
        await usernameTaken(trx, registration.usernameNormalized, registration.usernameSkeleton)
      ) {
        throw new AlreadyExistsError('username is taken');
      }
      const existing = await findAccountByCanonicalEmail(trx, registration.emailCanonical);
      if (existing) {
        await noticeToOwner(app, trx, existing, meta, now);
        return;
      }
      const id = uuidv7();
      await insertAccount(trx, {
        id,
        email: registration.email,
        emailCanonical: registration.emailCanonical,
        emailVerifiedAt: null,
        username: registration.username,
        passwordHash,
        locale,
        consent,
        now,
      });
      const token = await issueEmailToken(trx, {
        accountId: id,
        purpose: 'verify_email',
        email: registration.email,
        ttlMs: app.config.emailVerificationTtlMs,
        now,
      });
      await sendMail(
        app,
        trx,
        registration.email,
        verifyEmailMail(
          emailLink(app.config.linkBaseUrl, 'verify-email', token),
          app.config.emailVerificationTtlMs,
        ),
      );
      await app.emit(trx, id, {
        case: 'authUserRegistered',
        value: { userId: id, username: registration.username, email: registration.email, locale },
      });
      await audit(trx, { accountId: id, sessionId: null, meta, now }, 'registered');
    });
  } catch (err) {
    // A concurrent sign-up won the race for the same name or address.
    const conflict = accountConflict(err);
    if (conflict === 'username') throw new AlreadyExistsError('username is taken');
    if (conflict !== 'email') throw err;
    await app.database.transaction(async (trx) => {
      const owner = await findAccountByCanonicalEmail(trx, registration.emailCanonical);
      if (owner) await noticeToOwner(app, trx, owner, meta, now);
    });
  }
}

/** The known-address path: the owner learns of the attempt; the caller learns nothing. */
async function noticeToOwner(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  owner: Account,
  meta: RequestMeta,
  now: Date,
): Promise<void> {
  await sendMail(app, trx, owner.email, signUpWithKnownAddressMail());
  await audit(trx, { accountId: owner.id, sessionId: null, meta, now }, 'blocked_by_policy', {
    reason: 'email_in_use',
    during: 'register',
  });
}

/**
 * Staff blocks on the client's address range and on the e-mail domain (subdomains included).
 * The refusal is audited in a transaction of its own, since the request itself fails.
 */
async function refuseBlockedSignUp(
  app: AuthApp,
  registration: Registration,
  meta: RequestMeta,
  now: Date,
): Promise<void> {
  const db = app.database.db;
  let reason: string | undefined;
  if (await ipBlocked(db, meta.ip, 'sign_up', now)) reason = 'ip_blocked';
  else if (await emailDomainBlocked(db, emailDomain(registration.email)))
    reason = 'email_domain_blocked';
  if (reason === undefined) return;
  await app.database.transaction((trx) =>
    audit(trx, { accountId: null, sessionId: null, meta, now }, 'blocked_by_policy', {
      reason,
      during: 'register',
    }),
  );
  throw new PermissionDeniedError('sign-up is not available');
}
