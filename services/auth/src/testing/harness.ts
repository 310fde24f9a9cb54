import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@connectrpc/connect';
import type { Client, Interceptor, Transport } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { AuthAdminService } from '@kith/gen/kith/auth/v1/auth_admin_pb.js';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { Role } from '@kith/context';
import type { MailMessage, Mailer } from '@kith/mail';
import { createRootLogger } from '@kith/logging';
import { defineService, startEmbedded } from '@kith/runtime';
import type { RunningKith, ServiceModule } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import type { AuthDatabase } from '../db/schema.js';
import type { AfterAnswer } from '../after-answer.js';
import { createPasswordHasher } from '../credentials/index.js';
import type { PasswordHasher } from '../credentials/index.js';
import { authModule, createAuthParts } from '../module.js';
import { uniqueUser } from './accounts.js';
import type { TestUser } from './accounts.js';
import { CONSENT, deviceHeaders } from './support.js';

/** A clock tests move by hand: time-dependent rules are tested without sleeping. */
export interface ManualClock {
  now(): Date;
  advance(ms: number): void;
  set(date: Date): void;
}

export function manualClock(start = new Date()): ManualClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
    set: (date) => {
      current = date.getTime();
    },
  };
}

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
  /** Clients that send extra headers (e.g. a user agent) without credentials. */
  withHeaders(headers: Record<string, string>): { auth: Client<typeof AuthService> };
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
  stop(): Promise<void>;
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

function headerInterceptor(headers: Record<string, string>): Interceptor {
  return (next) => (req) => {
    for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
    return next(req);
  };
}

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
  const clock = options.clock ?? manualClock();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-auth-'));
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
  let app: AuthApp | undefined;
  const module = defineService<AuthDatabase>({
    ...authModule,
    create: (ctx) =>
      createAuthParts(ctx, {
        mailer,
        hasher:
          options.hasher ??
          (options.realHasher ? undefined : createPasswordHasher(testHasherParams)),
        afterAnswer: options.afterAnswer,
        onApp: (built) => {
          app = built;
        },
      }),
  });
  const kith = await startEmbedded([module, ...(options.modules ?? [])], {
    inMemory: true,
    clock: () => clock.now(),
    logger: createRootLogger({ level: 'silent' }),
    env: {
      PORT: '0',
      KITH_DATA_DIR: dataDir,
      TRUST_PROXY: '1',
      AUTH_LINK_BASE_URL: 'http://app.kith.test',
      ...options.env,
    },
  });
  if (!app) throw new Error('auth app was not built');
  const built = app;
  const clients = (transport: Transport) => ({
    auth: createClient(AuthService, transport),
    admin: createClient(AuthAdminService, transport),
    transport,
  });
  const transportWith = (headers: Record<string, string>) =>
    createConnectTransport({
      baseUrl: kith.url,
      httpVersion: '1.1',
      interceptors: [headerInterceptor(headers)],
    });
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
    withHeaders: (headers) => ({ auth: clients(transportWith(headers)).auth }),
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
    async stop() {
      await kith.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
