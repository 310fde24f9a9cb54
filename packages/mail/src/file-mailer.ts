import fs from 'node:fs/promises';
import path from 'node:path';
import { createTransport } from 'nodemailer';
import {
  composeFields,
  createInFlight,
  type MailMessage,
  type Mailer,
  type SentMail,
} from './mailer.js';

export interface FileMailerOptions {
  /** Directory the `.eml` files go to (created 0700 if missing), e.g. `.data/mail`. */
  dir: string;
  from: string;
  /** Names the files; defaults to the system clock. */
  clock?: () => Date;
}

export interface FileMailer extends Mailer {
  send(message: MailMessage): Promise<SentMail & { path: string }>;
}

/**
 * Writes every message as an RFC 5322 `.eml` file instead of sending it: the embedded mode's
 * outbox, readable by any mail client. Files are 0600 because they hold live links and codes.
 */
export function createFileMailer(options: FileMailerOptions): FileMailer {
  const { dir, from } = options;
  const clock = options.clock ?? (() => new Date());
  // nodemailer builds the MIME message (encodings, headers, Message-ID) without delivering it.
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const inFlight = createInFlight();
  let closed = false;
  let dirReady: Promise<unknown> | undefined;

  async function write(message: MailMessage): Promise<SentMail & { path: string }> {
    const info = await transport.sendMail(composeFields(from, message));
    if (!Buffer.isBuffer(info.message)) throw new Error('nodemailer returned no message buffer');
    dirReady ??= fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
      dirReady = undefined;
      throw err;
    });
    await dirReady;
    const file = path.join(dir, `${basicIsoTimestamp(clock())}-${fileSlug(info.messageId)}.eml`);
    // Written aside and renamed, so a reader never sees half a message under the .eml name.
    const partial = `${file}.partial`;
    await fs.writeFile(partial, info.message, { mode: 0o600, flag: 'wx' });
    await fs.rename(partial, file);
    return { messageId: info.messageId, path: file };
  }

  return {
    async send(message) {
      if (closed) throw new Error('file mailer is closed');
      return inFlight.track(write(message));
    },
    async close() {
      closed = true;
      await inFlight.settled();
      transport.close();
    },
  };
}

/** ISO 8601 basic format, `20261123T120005.123Z`: sorts by time and is a valid file name anywhere. */
function basicIsoTimestamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '');
}

/** `<0f3c…@kith.app>` → `0f3c…`, restricted to characters safe in a file name. */
function fileSlug(messageId: string): string {
  const local = messageId.replace(/^</, '').replace(/@.*$/s, '');
  return local.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'message';
}
