import path from 'node:path';
import { createLogger } from '@kith/logging';
import { createFileMailer, createMailRelay, createSmtpMailer } from '@kith/mail';
import type { MailRelay, Mailer } from '@kith/mail';
import type { Daemon, HttpHandler } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { loadContactsConfig } from './contacts-config.js';
import { optOutRoutes } from './opt-out.js';
import { disabledSmsSender, fileSmsSender } from './sms.js';
import type { SmsSender } from './sms.js';
import { createSmsRelay } from './sms-relay.js';
import type { SmsRelay } from './sms-relay.js';
import { twilioSmsSender } from './twilio-sms.js';

/** What the contacts area adds to the support process: its relays and the opt-out page. */
export interface ContactsParts {
  daemons: Daemon[];
  http: Record<string, HttpHandler>;
  smsRelay: SmsRelay;
  mailRelay: MailRelay;
  close(): Promise<void>;
}

/** Test seams: a mailer tests read, an SMS adapter of their own. */
export interface ContactsOverrides {
  mailer?: Mailer;
  sms?: SmsSender;
}

/**
 * SMS: Twilio's API when SUPPORT_SMS_* are set; else `.txt` files under `<dataDir>/sms` in
 * embedded mode, and nothing in distributed mode (sends fail, contacts show UNREACHABLE).
 * E-mail: the platform mail queue in support's schema, sent over SMTP_URL; else `.eml` files
 * under `<dataDir>/mail/support` in embedded mode, and nothing in distributed mode (the queue
 * keeps them until SMTP is configured).
 */
export function createContactsParts(
  app: SupportApp,
  overrides: ContactsOverrides = {},
): ContactsParts {
  const config = loadContactsConfig(app.ctx);
  const logger = createLogger(app.logger, 'support:contacts');
  if (!config.hashKey) {
    logger.error(
      'SUPPORT_CONTACT_SECRET is not set: emergency contacts cannot be saved or opt out',
    );
  }
  let sms = overrides.sms;
  if (!sms && config.twilio) sms = twilioSmsSender(config.twilio);
  if (!sms && config.mode === 'embedded') sms = fileSmsSender(path.join(config.dataDir, 'sms'));
  if (!sms) {
    logger.warn('SUPPORT_SMS_ACCOUNT_SID is not set: SMS to emergency contacts fail');
    sms = disabledSmsSender();
  }
  let mailer = overrides.mailer;
  if (!mailer && config.smtpUrl) {
    mailer = createSmtpMailer({
      url: config.smtpUrl,
      from: config.mailFrom,
      requireTls: config.mode === 'distributed',
    });
  }
  if (!mailer && config.mode === 'embedded') {
    mailer = createFileMailer({
      dir: path.join(config.dataDir, 'mail', 'support'),
      from: config.mailFrom,
    });
  }
  const smsRelay = createSmsRelay({
    database: app.database,
    sender: sms,
    logger,
    clock: app.clock,
  });
  const mailRelay = mailer
    ? createMailRelay({ database: app.database, mailer, logger, clock: app.clock })
    : undefined;
  if (!mailer) logger.warn('SMTP_URL is not set: e-mail to emergency contacts waits in the queue');
  const idleRelay: MailRelay = {
    start() {},
    async stop() {},
    wake() {},
    async drainOnce() {
      return 0;
    },
  };
  return {
    smsRelay,
    mailRelay: mailRelay ?? idleRelay,
    daemons: [
      smsRelay.daemon,
      ...(mailRelay
        ? [
            {
              name: 'support:mail-relay',
              start: () => mailRelay.start(),
              stop: () => mailRelay.stop(),
            },
          ]
        : []),
    ],
    http: optOutRoutes(app, config.linkKey),
    close: async () => {
      await mailer?.close();
    },
  };
}
