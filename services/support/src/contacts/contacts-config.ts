import crypto from 'node:crypto';
import { envUrl, loadEnv } from '@kith/config';
import type { ServiceContext } from '@kith/runtime';
import { z } from 'zod';

const base64Key = z
  .string()
  .transform((raw, ctx) => {
    const key = Buffer.from(raw, 'base64');
    if (key.length < 32) {
      ctx.addIssue({ code: 'custom', message: 'must be at least 32 bytes, base64-encoded' });
      return z.NEVER;
    }
    return key;
  })
  .optional();

/** The emergency-contact settings of the support service (all optional; see each). */
export const contactsEnvSchema = z.object({
  /**
   * 32+ bytes, base64: keys the hashes opt-outs are kept as and signs opt-out links. Derived
   * per data dir in embedded mode; needed when distributed (every replica must agree, and a
   * change forgets every opt-out), else emergency contacts cannot be saved.
   */
  SUPPORT_CONTACT_SECRET: base64Key,
  /** Public origin of the support process as a contact's browser reaches it (opt-out links). */
  SUPPORT_CONTACT_LINK_BASE_URL: envUrl({ protocols: ['http', 'https'] }).optional(),
  /** A Twilio-compatible REST API; Twilio's own when unset. */
  SUPPORT_SMS_URL: envUrl({ protocols: ['http', 'https'] }).default('https://api.twilio.com'),
  /** All three or none: without them SMS go to files (embedded) or fail (distributed). */
  SUPPORT_SMS_ACCOUNT_SID: z.string().min(1).optional(),
  SUPPORT_SMS_AUTH_TOKEN: z.string().min(1).optional(),
  /** The sending number (E.164) or messaging service SID. */
  SUPPORT_SMS_FROM: z.string().min(1).optional(),
  /** smtp:// or smtps://; the same relay the other services use. */
  SMTP_URL: envUrl({ protocols: ['smtp', 'smtps'] }).optional(),
  MAIL_FROM: z.string().min(3).default('Kith <no-reply@kith.local>'),
});

export interface TwilioSettings {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
}

export interface ContactsConfig {
  mode: 'embedded' | 'distributed';
  dataDir: string;
  /** Keys address hashes; undefined when distributed without SUPPORT_CONTACT_SECRET. */
  hashKey: Buffer | undefined;
  /** Signs opt-out links; undefined with `hashKey`. */
  linkKey: Buffer | undefined;
  /** Origin opt-out links point at, without a trailing slash. */
  linkBaseUrl: string;
  /** Null: no SMS provider configured. */
  twilio: TwilioSettings | null;
  smtpUrl: string | undefined;
  mailFrom: string;
}

/** The contacts area's settings; throws one error naming every bad setting. */
export function loadContactsConfig(
  ctx: Pick<ServiceContext, 'env' | 'config' | 'derivedSecret'>,
): ContactsConfig {
  const env = loadEnv(contactsEnvSchema, ctx.env);
  const sms = [env.SUPPORT_SMS_ACCOUNT_SID, env.SUPPORT_SMS_AUTH_TOKEN, env.SUPPORT_SMS_FROM];
  const given = sms.filter((v) => v !== undefined).length;
  if (given !== 0 && given !== sms.length) {
    throw new Error(
      'support SMS settings: set SUPPORT_SMS_ACCOUNT_SID, SUPPORT_SMS_AUTH_TOKEN and SUPPORT_SMS_FROM together, or none',
    );
  }
  const secret = env.SUPPORT_CONTACT_SECRET ?? ctx.derivedSecret('support.contacts');
  // One purpose per key: a link signature is never an address hash of something else.
  const subKey = (purpose: string) =>
    secret
      ? Buffer.from(crypto.hkdfSync('sha256', secret, 'kith-support-contacts', purpose, 32))
      : undefined;
  const { host, port } = ctx.config.http;
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    mode: ctx.config.mode,
    dataDir: ctx.config.dataDir,
    hashKey: subKey('address-hash'),
    linkKey: subKey('opt-out-link'),
    linkBaseUrl: (env.SUPPORT_CONTACT_LINK_BASE_URL ?? `http://${publicHost}:${port}`).replace(
      /\/+$/,
      '',
    ),
    twilio:
      env.SUPPORT_SMS_ACCOUNT_SID && env.SUPPORT_SMS_AUTH_TOKEN && env.SUPPORT_SMS_FROM
        ? {
            baseUrl: env.SUPPORT_SMS_URL.replace(/\/+$/, ''),
            accountSid: env.SUPPORT_SMS_ACCOUNT_SID,
            authToken: env.SUPPORT_SMS_AUTH_TOKEN,
            from: env.SUPPORT_SMS_FROM,
          }
        : null,
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM,
  };
}
