export { addressDomain, assertSendable, InvalidMailError } from './mailer.js';
export type { MailMessage, Mailer, SentMail } from './mailer.js';
export { createFileMailer } from './file-mailer.js';
export type { FileMailer, FileMailerOptions } from './file-mailer.js';
export { createSmtpMailer, parseSmtpUrl, SmtpConfigError } from './smtp-mailer.js';
export type { SmtpMailerOptions } from './smtp-mailer.js';
export { createMailRelay, enqueueMail, mailMigrations } from './mail-queue.js';
export type { MailRelay, MailRelayOptions, MailTables } from './mail-queue.js';
