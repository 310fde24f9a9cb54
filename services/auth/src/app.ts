import path from 'node:path';
import { REVOCATION_LIVE_SUBJECT, applyRevocation, encodeRevocation } from '@kith/authn';
import type { Revocation } from '@kith/authn';
import type { Bus } from '@kith/bus';
import type { Cache } from '@kith/cache';
import type { Database, PageTokenCodec } from '@kith/db';
import type { Logger } from '@kith/logging';
import { createLogger } from '@kith/logging';
import { createFileMailer, createMailRelay, createSmtpMailer, enqueueMail } from '@kith/mail';
import type { Mailer } from '@kith/mail';
import type { ServiceContext } from '@kith/runtime';
import { serviceEvents } from '@kith/runtime';
import type { EventPayload } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { loadAuthConfig } from './config.js';
import type { AuthConfig } from './config.js';
import { createPasswordHasher } from './credentials/index.js';
import type { PasswordHasher } from './credentials/index.js';
import { createAfterAnswer } from './after-answer.js';
import type { AfterAnswer } from './after-answer.js';
import { createSealedBox } from './crypto/sealed-box.js';
import type { SealedBox } from './crypto/sealed-box.js';
import { deriveKey } from './crypto/secrets.js';
import type { AuthDatabase, AuthTrx } from './db/schema.js';
import { createOidcClients } from './oidc/index.js';
import type { OidcClients } from './oidc/index.js';
import { createSessions } from './sessions/sessions.js';
import type { Sessions } from './sessions/sessions.js';
import { createAuthThrottle } from './throttle.js';
import type { AuthThrottle } from './throttle.js';
import { createAccessTokenMinter } from './tokens/access-token.js';
import { createSigningKeyStore } from './tokens/signing-keys.js';
import type { SigningKeyStore } from './tokens/signing-keys.js';

/** Everything the auth handlers use, built once per process (the service's composition root). */
export interface AuthApp {
  config: AuthConfig;
  issuer: string;
  audience: string;
  database: Database<AuthDatabase>;
  clock: () => Date;
  logger: Logger;
  cache: Cache;
  /** Where revocation entries live (never evicted before they expire). */
  revocations: Cache;
  bus: Bus;
  pageTokens: PageTokenCodec;
  box: SealedBox;
  /** Keys the MAC of stored recovery codes; derived from the key-encryption key. */
  recoveryCodeKey: Buffer;
  keys: SigningKeyStore;
  sessions: Sessions;
  hasher: PasswordHasher;
  throttle: AuthThrottle;
  oidc: OidcClients;
  /** Work done once the answer is sent (see after-answer.ts). */
  afterAnswer: AfterAnswer;
  /** Records a domain event in the transaction (outbox). */
  emit(trx: Kysely<AuthDatabase>, actorId: string | null, payload: EventPayload): Promise<string>;
  /** Tells every verifier at once (shared cache, plus a live announcement). */
  publishRevocations(revocations: readonly Revocation[]): Promise<void>;
  /**
   * Publishes the revocations once `trx` has committed (never if it rolls back); the durable
   * events recorded beside them are the backstop should this process die first.
   */
  revokeOnCommit(trx: AuthTrx, revocations: readonly Revocation[]): void;
  mailRelay: ReturnType<typeof createMailRelay>;
  /** Closed when the service stops (after the relay). */
  mailer: Mailer;
  /** Queues mail in the transaction, due at once on the service clock (the relay's). */
  queueMail(
    trx: Kysely<AuthDatabase>,
    message: { to: string; subject: string; text: string },
  ): Promise<void>;
}

export interface AuthAppOverrides {
  hasher?: PasswordHasher;
  /** Replaces the configured mailer (tests read what was sent). */
  mailer?: Mailer;
  /** Replaces the after-the-answer runner (tests hold the work to see it run after). */
  afterAnswer?: AfterAnswer;
}

/**
 * Without SMTP, messages become .eml files under the data dir. Embedded mode (a laptop, local
 * test accounts) also logs the link each carries so a developer can follow it; anywhere else a
 * link holds a live secret and never reaches the logs.
 */
function fileMailer(dir: string, from: string, logger: Logger | undefined): Mailer {
  const files = createFileMailer({ dir, from });
  if (!logger) return files;
  return {
    async send(message) {
      const sent = await files.send(message);
      const link = /https?:\/\/\S+/.exec(message.text)?.[0];
      logger.info(
        { file: sent.path, subject: message.subject, link },
        'mail written (embedded mode)',
      );
      return sent;
    },
    close: () => files.close(),
  };
}

export function createAuthApp(
  ctx: ServiceContext<AuthDatabase>,
  overrides: AuthAppOverrides = {},
): AuthApp {
  const { config, secrets } = loadAuthConfig(ctx.env);
  if (!ctx.database) throw new Error('auth needs its database');
  const database = ctx.database;
  const kek = secrets.keyEncryptionKey ?? ctx.derivedSecret('auth.key-encryption-key');
  if (!kek) throw new Error('AUTH_KEY_ENCRYPTION_KEY is required in distributed mode');
  const box = createSealedBox(kek);
  const keys = createSigningKeyStore({
    database,
    box,
    clock: ctx.clock,
    policy: {
      alg: config.signingAlg,
      rotateEveryMs: config.keyRotationIntervalMs,
      publishLeadMs: config.keyPublishLeadMs,
      retireAfterMs: config.accessTokenTtlMs + 5 * 60_000,
    },
  });
  const minter = createAccessTokenMinter({
    keys,
    issuer: ctx.config.auth.issuer,
    audience: ctx.config.auth.audience,
    ttlMs: config.accessTokenTtlMs,
  });
  const mailer =
    overrides.mailer ??
    (config.smtpUrl
      ? createSmtpMailer({
          url: config.smtpUrl,
          from: config.mailFrom,
          requireTls: config.smtpRequireTls,
        })
      : fileMailer(
          path.join(ctx.config.dataDir, 'mail'),
          config.mailFrom,
          config.mode === 'embedded' ? ctx.logger : undefined,
        ));
  const mailRelay = createMailRelay({
    database,
    mailer,
    logger: createLogger(ctx.logger, 'mail'),
    clock: ctx.clock,
  });
  const app: AuthApp = {
    config,
    issuer: ctx.config.auth.issuer,
    audience: ctx.config.auth.audience,
    database,
    clock: ctx.clock,
    logger: ctx.logger,
    cache: ctx.cache,
    revocations: ctx.revocations,
    bus: ctx.bus,
    pageTokens: ctx.pageTokens,
    box,
    recoveryCodeKey: deriveKey(kek, 'kith auth recovery-code mac v1'),
    keys,
    sessions: createSessions({
      minter,
      policy: {
        refreshIdleTtlMs: config.refreshIdleTtlMs,
        refreshAbsoluteTtlMs: config.refreshAbsoluteTtlMs,
      },
      revokeOnCommit: (trx, revocations) => app.revokeOnCommit(trx, revocations),
    }),
    hasher: overrides.hasher ?? createPasswordHasher(),
    throttle: createAuthThrottle({
      rateLimiter: ctx.rateLimiter,
      cache: ctx.cache,
      clock: ctx.clock,
    }),
    oidc: createOidcClients(config.oidcProviders, { clock: ctx.clock }),
    afterAnswer: overrides.afterAnswer ?? createAfterAnswer(ctx.logger),
    emit: serviceEvents('auth', ctx.clock).emit,
    async publishRevocations(revocations) {
      // Independent keys: written together, so logout-all of many sessions costs one round trip.
      const stores = { revocations: app.revocations, apiKeyGrants: app.cache };
      await Promise.all(revocations.map((revocation) => applyRevocation(stores, revocation)));
      for (const revocation of revocations) {
        ctx.bus.publishLive(REVOCATION_LIVE_SUBJECT, encodeRevocation(revocation));
      }
    },
    revokeOnCommit(trx, revocations) {
      if (revocations.length === 0) return;
      trx.onCommit(() => app.publishRevocations(revocations));
    },
    mailRelay,
    async queueMail(trx, message) {
      // No wake-up here: the row is not visible until the caller commits; the relay polls.
      await enqueueMail(trx, message, { now: ctx.clock() });
    },
    mailer,
  };
  return app;
}
