import type { Kysely } from 'kysely';
import type { AuthApp } from '../app.js';
import type { AuthDatabase } from '../db/schema.js';
import type { MailContent } from './mail-templates.js';

/** Queues a message in the caller's transaction: it goes out only if the change commits. */
export async function sendMail(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  to: string,
  content: MailContent,
): Promise<void> {
  await app.queueMail(trx, { to, subject: content.subject, text: content.text });
}
