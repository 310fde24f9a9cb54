import { createClient } from '@connectrpc/connect';
import type { Client, Transport } from '@connectrpc/connect';
import { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { Role } from '@kith/context';
import type { MailMessage, Mailer } from '@kith/mail';
import { defineService, recordEvent } from '@kith/runtime';
import type { EventPayload, RunningKith, ServiceModule } from '@kith/runtime';
import { manualClock, startServiceHarness } from '@kith/testkit';
import type { ManualClock } from '@kith/testkit';
import type { AuthApp } from '../app.js';
import type { AuthDatabase } from '../db/schema.js';
import type { AfterAnswer } from '../after-answer.js';
import { createPasswordHasher } from '../credentials/index.js';
import type { PasswordHasher } from '../credentials/index.js';
import { authModule, createAuthParts } from '../module.js';
import { uniqueUser } from './accounts.js';
import type { TestUser } from './accounts.js';
import { CONSENT, deviceHeaders } from './support.js';

export { manualClock };
export type { ManualClock };

/** Cheap argon2id for tests that are not about hashing cost (the real parameters are OWASP's). */
export const testHasherParams = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export interface SentMail extends MailMessage {
  /** The first URL in the text body. */
  link: string | undefined;
  /** The `token` query parameter of that link, if any. */
  token: string | undefined;
}

export interface AuthHarness {
  kith: RunningKith;
  app: AuthApp;
  clock: ManualClock;
  url: string;
  auth: Client<typeof AuthService>;
  admin: Client<typeof AuthAdminService>;
  /** Clients that send `Authorization: Bearer <token>` (an access token or an API key). */
  as(
    token: string,
    headers?: Record<string, string>,
  ): {
    auth: Client<typeof AuthService>;
    admin: Client<typeof AuthAdminService>;
    transport: Transport;
  };
  /**
   * Clients that send extra headers (e.g. a user agent) without credentials; `transport` for
   * anonymous calls to other services' public methods.
   */
  withHeaders(headers: Record<string, string>): {
    auth: Client<typeof AuthService>;
    transport: Transport;
  };
  /** Sends queued mail now and returns every message sent so far, newest last. */
  mails(): Promise<SentMail[]>;
  /** The newest message sent to `to`. */
  lastMailTo(to: string): Promise<SentMail>;
  /**
   * Registers, verifies by the mailed link and logs in, all from one device (a fresh address
   * unless given, the test user agent unless given): an ordinary signed-in user.
   */
  signUp(options?: {
    email?: string;
    username?: string;
    password?: string;
    ip?: string;
    userAgent?: string;
  }): Promise<TestUser>;
  /** Direct role change in the database (bootstrapping the first admin). */
  setRole(userId: string, role: Role): Promise<void>;
  /**
   * Publishes an event as another service (`source`) would, through auth's own outbox: the
   * relay puts it on the bus under its type's subject. Returns its id (the message id).
   */
  publishAs(source: string, payload: EventPayload): Promise<string>;
  stop(): Promise<void>;
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/**
 * The auth service in an embedded process (PGlite in memory, the in-process bus, memory cache)
 * on a free loopback port, with a manual clock, cheap hashing and a mailer tests can read. It
 * trusts one proxy hop, so each test can speak from its own address (`X-Forwarded-For`, see
 * `freshIp`) and the per-address limits of one test never touch another.
 */
export async function startAuthHarness(
  options: {
    clock?: ManualClock;
    env?: Record<string, string>;
    modules?: ServiceModule[];
    realHasher?: boolean;
    /** Replaces the password hasher (e.g. one built with an `onVerify` counter). */
    hasher?: PasswordHasher;
    /** Replaces the after-the-answer runner (e.g. one that holds the work until told). */
    afterAnswer?: AfterAnswer;
  } = {},
): Promise<AuthHarness> {
  const sent: SentMail[] = [];
  const mailer: Mailer = {
    async send(message) {
      const link = /https?:\/\/\S+/.exec(message.text)?.[0];
      const token = link ? (new URL(link).searchParams.get('token') ?? undefined) : undefined;
      sent.push({ ...message, link, token });
      return { messageId: `<${unique()}@test>` };
    },
    async close() {},
  };
  const overrides = {
    mailer,
    hasher:
      options.hasher ?? (options.realHasher ? undefined : createPasswordHasher(testHasherParams)),
    afterAnswer: options.afterAnswer,
  };
  let app: AuthApp | undefined;
  // The module as the host runs it, built with the test's overrides; its parts carry the app.
  const module = defineService<AuthDatabase>({
    ...authModule,
    async create(ctx) {
      const parts = await createAuthParts(ctx, overrides);
      app = parts.app;
      return parts;
    },
  });
  const service = await startServiceHarness({
    modules: [module, ...(options.modules ?? [])],
    clock: options.clock,
    env: { AUTH_LINK_BASE_URL: 'http://app.kith.test', ...options.env },
  });
  const { kith, clock } = service;
  if (!app) throw new Error('auth app was not built');
  const built = app;
  const clients = (transport: Transport) => ({
    auth: createClient(AuthService, transport),
    admin: createClient(AuthAdminService, transport),
    transport,
  });
  const transportWith = (headers: Record<string, string>) => service.transport(headers);
  const base = clients(transportWith({}));

  const harness: AuthHarness = {
    kith,
    app: built,
    clock,
    url: kith.url,
    auth: base.auth,
    admin: base.admin,
    as: (token, headers = {}) =>
      clients(transportWith({ ...headers, authorization: `Bearer ${token}` })),
    withHeaders: (headers) => {
      const { auth, transport } = clients(transportWith(headers));
      return { auth, transport };
    },
    async mails() {
      await built.afterAnswer.settled();
      while ((await built.mailRelay.drainOnce()) > 0) {
        // Until the queue is empty.
      }
      return [...sent];
    },
    async lastMailTo(to) {
      const all = await harness.mails();
      const mail = all.filter((m) => m.to === to).at(-1);
      if (!mail) throw new Error(`no mail to ${to}`);
      return mail;
    },
    async signUp(o = {}) {
      const generated = uniqueUser();
      const email = o.email ?? generated.email;
      const username = o.username ?? generated.username;
      const password = o.password ?? generated.password;
      const client = harness.withHeaders(deviceHeaders({ ip: o.ip, userAgent: o.userAgent })).auth;
      await client.register({ email, password, username, consent: CONSENT });
      const mail = await harness.lastMailTo(email);
      if (!mail.token) throw new Error('verification mail without a token');
      await client.verifyEmail({ token: mail.token });
      const login = await client.login({ identifier: email, password });
      if (login.result.case !== 'tokens') throw new Error(`login answered ${login.result.case}`);
      const tokens = login.result.value;
      return {
        userId: tokens.userId,
        email,
        username,
        password,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        sessionId: tokens.sessionId,
        deviceToken: login.deviceToken,
      };
    },
    async setRole(userId, role) {
      await built.database.db
        .updateTable('accounts')
        .set({ role })
        .where('id', '=', userId)
        .execute();
    },
    publishAs: (source, payload) =>
      built.database.transaction((trx) =>
        recordEvent(trx, {
          source,
          actor: { service: source },
          payload,
          occurredAt: clock.now(),
        }),
      ),
    stop: () => service.stop(),
  };
  return harness;
}
