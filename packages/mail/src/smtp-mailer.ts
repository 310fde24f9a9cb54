import { createTransport } from 'nodemailer';
import { composeFields, createInFlight, type Mailer } from './mailer.js';

export interface SmtpMailerOptions {
  /**
   * `smtp://user:pass@host:587` (STARTTLS when the server offers it) or
   * `smtps://user:pass@host:465` (TLS from the start). User and password are URL-encoded.
   */
  url: string;
  from: string;
  /** Connect, greeting and socket-idle timeout in ms (default 10 s). */
  timeoutMs?: number;
  /**
   * Upper bound on one whole send in ms (default 60 s): a server that trickles its replies
   * never trips the idle timeout, this still ends the attempt.
   */
  sendTimeoutMs?: number;
  /** Open connections in the pool (default 5). */
  maxConnections?: number;
  /** Refuse to send unless the connection is encrypted (STARTTLS or smtps). */
  requireTls?: boolean;
}

/** The URL is invalid; the message never contains the URL, which may hold a password. */
export class SmtpConfigError extends Error {
  override readonly name = 'SmtpConfigError';
}

interface SmtpEndpoint {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string };
}

/** Parsed here rather than by nodemailer, whose URL query parameters override any option. */
export function parseSmtpUrl(url: string): SmtpEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // URL's own error carries the input, password included.
    throw new SmtpConfigError('SMTP url is not a valid URL');
  }
  const secure = parsed.protocol === 'smtps:';
  if (!secure && parsed.protocol !== 'smtp:') {
    throw new SmtpConfigError('SMTP url must start with smtp:// or smtps://');
  }
  if (!parsed.hostname) throw new SmtpConfigError('SMTP url has no host');
  if (parsed.search || parsed.hash || (parsed.pathname !== '' && parsed.pathname !== '/')) {
    throw new SmtpConfigError('SMTP url takes no path, query or fragment');
  }
  const endpoint: SmtpEndpoint = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
  };
  if (parsed.username || parsed.password) {
    endpoint.auth = {
      user: decodeURIComponent(parsed.username),
      pass: decodeURIComponent(parsed.password),
    };
  }
  return endpoint;
}

/**
 * Sends through an SMTP server over a small connection pool. nodemailer's logger stays off:
 * with it on, the SMTP transcript (AUTH exchange, message bodies with their links) is logged.
 */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const { from } = options;
  const endpoint = parseSmtpUrl(options.url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const sendTimeoutMs = options.sendTimeoutMs ?? 60_000;
  const transport = createTransport({
    pool: true,
    ...endpoint,
    maxConnections: options.maxConnections ?? 5,
    // One retry on a pooled connection the server closed while idle; more is the queue's job.
    maxRequeues: 1,
    requireTLS: options.requireTls ?? false,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    logger: false,
    debug: false,
    transactionLog: false,
  });
  const inFlight = createInFlight();
  let closed = false;

  return {
    async send(message) {
      if (closed) throw new Error('SMTP mailer is closed');
      const info = await inFlight.track(
        transport.sendMail({
          ...composeFields(from, message),
          signal: AbortSignal.timeout(sendTimeoutMs),
        }),
      );
      return { messageId: info.messageId };
    },
    async close() {
      closed = true;
      // Each send ends by itself (delivered, failed, or at sendTimeoutMs), then the pool goes.
      await inFlight.settled();
      transport.close();
    },
  };
}
