/** One e-mail to one person. Bodies often hold secrets (links, codes): never log them. */
export interface MailMessage {
  /** A single bare address, `ana@example.com`; display names and lists are refused. */
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Extra header fields, e.g. `List-Unsubscribe`; the ones the mailer writes are refused. */
  headers?: Record<string, string>;
  /**
   * A stable id (the mail queue passes its row id): the Message-ID becomes `<id@from-domain>`,
   * so a message sent again after a crash is recognisable as the same one.
   */
  id?: string;
}

export interface SentMail {
  /** The Message-ID header, with its angle brackets. */
  messageId: string;
}

/** Delivers messages from the one `from` address its factory was given. */
export interface Mailer {
  send(message: MailMessage): Promise<SentMail>;
  /** Lets deliveries in flight finish, then releases connections. */
  close(): Promise<void>;
}

/** The message was refused before any delivery was attempted; sending it again cannot work. */
export class InvalidMailError extends Error {
  override readonly name = 'InvalidMailError';
}

// Deliberately narrower than RFC 5321: one address, no display name, no quoting, no comments,
// no separators. A value that smuggles a second recipient or a header break fails here.
const BARE_ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]+$/u;

/** Header fields the mailer owns: addresses, identity and MIME structure. */
const RESERVED_HEADERS = new Set([
  'from',
  'sender',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'message-id',
  'return-path',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);

/** Checks what nodemailer would otherwise interpret generously (lists, names, CR/LF). */
export function assertSendable(message: MailMessage): void {
  if (!BARE_ADDRESS.test(message.to)) {
    throw new InvalidMailError('recipient must be a single bare e-mail address');
  }
  if (/[\r\n]/.test(message.subject)) throw new InvalidMailError('subject must be one line');
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!/^[!-9;-~]+$/.test(name)) throw new InvalidMailError('invalid header name');
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new InvalidMailError(`header ${name} is set by the mailer`);
    }
    if (/[\r\n]/.test(value)) throw new InvalidMailError(`header ${name} must be one line`);
  }
  if (message.id !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(message.id)) {
    throw new InvalidMailError('message id must be [A-Za-z0-9._-]{1,128}');
  }
}

/** The domain of an address (`Kith <no-reply@kith.app>` → `kith.app`), lower-cased. */
export function addressDomain(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return '';
  return address
    .slice(at + 1)
    .replace(/>.*$/s, '')
    .trim()
    .toLowerCase();
}

/** The nodemailer message fields shared by every adapter. */
export function composeFields(from: string, message: MailMessage) {
  assertSendable(message);
  return {
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    ...(message.html === undefined ? {} : { html: message.html }),
    ...(message.headers === undefined ? {} : { headers: { ...message.headers } }),
    ...(message.id === undefined ? {} : { messageId: `<${message.id}@${addressDomain(from)}>` }),
  };
}

/** Sends still running, so `close()` can let them finish before releasing the transport. */
export function createInFlight() {
  const pending = new Set<Promise<unknown>>();
  return {
    track<T>(work: Promise<T>): Promise<T> {
      pending.add(work);
      const forget = () => pending.delete(work);
      work.then(forget, forget);
      return work;
    },
    async settled(): Promise<void> {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
