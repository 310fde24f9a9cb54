import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** One text message to one number (E.164). Bodies carry opt-out links: never log them. */
export interface SmsMessage {
  /** The queue row's id: lets a sink or provider recognise a resend. */
  id: string;
  to: string;
  body: string;
}

/** The outbound SMS adapter: a provider's API, a file sink, or nothing. */
export interface SmsSender {
  /** Resolves with the provider's message id; throws `SmsSendError` when it was not accepted. */
  send(message: SmsMessage): Promise<{ providerId: string }>;
}

/**
 * A send that failed. `permanent`: sending it again cannot work (a number the provider
 * refuses, no provider at all); otherwise it is retried with backoff.
 */
export class SmsSendError extends Error {
  override readonly name = 'SmsSendError';
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/**
 * Distributed mode without an SMS provider: every send fails for good, so a contact reached
 * only by SMS shows UNREACHABLE to its user instead of silently never hearing anything.
 */
export function disabledSmsSender(): SmsSender {
  return {
    async send() {
      throw new SmsSendError('SMS is not configured (SUPPORT_SMS_ACCOUNT_SID …)', true);
    },
  };
}

/**
 * Embedded mode without a provider: each message becomes `<dir>/<id>.txt` (owner-only), so a
 * developer sees what a contact would receive without an account anywhere.
 */
export function fileSmsSender(dir: string): SmsSender {
  return {
    async send(message) {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, `${message.id}.txt`);
      await fs.writeFile(file, `To: ${message.to}\n\n${message.body}\n`, { mode: 0o600 });
      return { providerId: `file-${crypto.randomUUID()}` };
    },
  };
}
