import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidMailError } from '@kith/mail';
import type { MailMessage, Mailer } from '@kith/mail';
import { implement, defineService } from '@kith/runtime';
import type { ServiceModule } from '@kith/runtime';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import { createSupportApp } from '../../app.js';
import type { SupportApp } from '../../app.js';
import type { SupportDatabase } from '../../db/schema.js';
import { ladderHandlers } from '../../ladder/handlers.js';
import { supportModule } from '../../module.js';
import { createContactsParts } from '../contacts-parts.js';
import type { ContactsParts } from '../contacts-parts.js';

/** One request the fake provider received. */
export interface TwilioRequest {
  path: string;
  authorization: string;
  contentType: string;
  form: Record<string, string>;
}

export interface FakeTwilio {
  url: string;
  requests: TwilioRequest[];
  /** Numbers answered with Twilio's 400 "not a valid phone number" (code 21211). */
  invalidNumbers: Set<string>;
  /** While set, every request answers 503 (an outage: retried). */
  down: boolean;
  stop(): Promise<void>;
}

/** A local HTTP server speaking the part of Twilio's Messages API the adapter uses. */
export async function startFakeTwilio(): Promise<FakeTwilio> {
  const fake: Omit<FakeTwilio, 'url' | 'stop'> = {
    requests: [],
    invalidNumbers: new Set(),
    down: false,
  };
  let counter = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) return reply(404, { code: 20404, status: 404 });
      fake.requests.push({
        path: req.url ?? '',
        authorization: req.headers.authorization ?? '',
        contentType: req.headers['content-type'] ?? '',
        form,
      });
      if (fake.down)
        return reply(503, { code: 20503, message: 'Service unavailable', status: 503 });
      if (fake.invalidNumbers.has(form.To ?? '')) {
        return reply(400, {
          code: 21211,
          message: `The 'To' number ${form.To} is not a valid phone number.`,
          more_info: 'https://www.twilio.com/docs/errors/21211',
          status: 400,
        });
      }
      counter += 1;
      reply(201, {
        sid: `SM${String(counter).padStart(32, '0')}`,
        account_sid: match[1],
        to: form.To,
        from: form.From,
        body: form.Body,
        status: 'queued',
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

export const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
export const TWILIO_TOKEN = 'test-auth-token';
export const TWILIO_FROM = '+15005550006';

/** The env that points the support process's SMS adapter at `fake`. */
export function twilioEnv(fake: FakeTwilio): Record<string, string> {
  return {
    SUPPORT_SMS_URL: fake.url,
    SUPPORT_SMS_ACCOUNT_SID: TWILIO_SID,
    SUPPORT_SMS_AUTH_TOKEN: TWILIO_TOKEN,
    SUPPORT_SMS_FROM: TWILIO_FROM,
  };
}

export interface ContactsTestModule {
  module: ServiceModule;
  app(): SupportApp;
  parts(): ContactsParts;
  /** Every e-mail the support relay sent, oldest first. */
  mails: MailMessage[];
  /** Addresses the mailer refuses for good (as a relay refusing the recipient would). */
  refusedAddresses: Set<string>;
  /** Runs both relays until nothing is due. */
  drain(): Promise<void>;
}

/**
 * The support module with only the ladder handlers and the contacts parts, its relays left to
 * the test (`drain`), e-mail captured: the lead's module wires the same pieces.
 */
export function contactsTestModule(): ContactsTestModule {
  const mails: MailMessage[] = [];
  const refusedAddresses = new Set<string>();
  const mailer: Mailer = {
    async send(message) {
      if (refusedAddresses.has(message.to)) throw new InvalidMailError('recipient refused');
      mails.push(message);
      return { messageId: `<${message.id ?? mails.length}@test>` };
    },
    async close() {},
  };
  let app: SupportApp | undefined;
  let parts: ContactsParts | undefined;
  const module = defineService<SupportDatabase>({
    ...supportModule,
    create(ctx) {
      app = createSupportApp(ctx);
      parts = createContactsParts(app, { mailer });
      return {
        handlers: [implement(SupportService, ladderHandlers(app))],
        http: parts.http,
        close: () => parts!.close(),
      };
    },
  });
  const built = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the support module was not started');
    return value;
  };
  return {
    module,
    app: () => built(app),
    parts: () => built(parts),
    mails,
    refusedAddresses,
    async drain() {
      const p = built(parts);
      while ((await p.mailRelay.drainOnce()) + (await p.smsRelay.drainOnce()) > 0) {
        // Until both queues are empty.
      }
    },
  };
}

/** Projects a profile as support's users consumer would (the name a notice gives). */
export async function projectProfile(
  app: SupportApp,
  user: { userId: string; username: string; displayName: string },
): Promise<void> {
  await app.database.db
    .insertInto('users')
    .values({
      user_id: user.userId,
      username: user.username,
      display_name: user.displayName,
      avatar_url: '',
      locked: false,
      version: '1',
    })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
}

/** The SMS queue rows of a user, oldest first. */
export async function smsRows(app: SupportApp, userId: string) {
  return app.database.db
    .selectFrom('sms_outbox')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
}
