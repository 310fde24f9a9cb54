import path from 'node:path';
import { envUrl, loadEnv } from '@kith/config';
import { createFileMailer, createMailRelay, createSmtpMailer } from '@kith/mail';
import type { MailRelay, Mailer } from '@kith/mail';
import { z } from 'zod';
import type { UserApp } from '../app.js';

const mailEnvSchema = z.object({
  /** smtp:// or smtps:// with credentials; the same relay the auth service uses. */
  SMTP_URL: envUrl({ protocols: ['smtp', 'smtps'] }).optional(),
  MAIL_FROM: z.string().min(3).default('Kith <no-reply@kith.local>'),
});

/** The notification e-mail channel: a mailer and the relay that drains the user schema's queue. */
export interface NotificationMail {
  mailer: Mailer;
  relay: MailRelay;
}

/**
 * E-mail notifications go out over SMTP when SMTP_URL is set (TLS required when distributed). Without it,
 * embedded mode writes them as .eml files under `<dataDir>/mail/notifications/` (apart from
 * auth's account mail, so the newest account link stays easy to find), and distributed mode
 * sends none: production mail never quietly lands in files. Undefined then.
 */
export function createNotificationMail(app: UserApp): NotificationMail | undefined {
  const env = loadEnv(mailEnvSchema, app.ctx.env);
  let mailer: Mailer;
  if (env.SMTP_URL) {
    // Distributed mode sends only over TLS (smtps://, or STARTTLS required), as auth does.
    mailer = createSmtpMailer({
      url: env.SMTP_URL,
      from: env.MAIL_FROM,
      requireTls: app.ctx.config.mode === 'distributed',
    });
  } else if (app.ctx.config.mode === 'embedded') {
    const dir = path.join(app.ctx.config.dataDir, 'mail', 'notifications');
    mailer = createFileMailer({ dir, from: env.MAIL_FROM });
  } else {
    app.logger.warn('SMTP_URL is not set: e-mail notifications are not sent');
    return undefined;
  }
  const relay = createMailRelay({
    database: app.database,
    mailer,
    logger: app.logger,
    clock: app.clock,
  });
  return { mailer, relay };
}
