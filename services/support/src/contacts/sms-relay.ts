import { periodicDaemon } from '@kith/runtime';
import type { Daemon } from '@kith/runtime';
import type { Database } from '@kith/db';
import type { Logger } from '@kith/logging';
import type { SupportDatabase } from '../db/schema.js';
import {
  claimDueSms,
  finishedNoticeMails,
  markNoticeUnreachable,
  recordSmsFailure,
  recordSmsSent,
  settleNoticeMail,
} from './contacts-store.js';
import type { ClaimedSms } from './contacts-store.js';
import { SmsSendError } from './sms.js';
import type { SmsSender } from './sms.js';

export interface SmsRelayOptions {
  database: Database<SupportDatabase>;
  sender: SmsSender;
  logger: Logger;
  clock: () => Date;
  /** Rows per pass, sent concurrently (default 10). */
  batchSize?: number;
  /** Between passes (default 1 s): an alert waits at most this long once committed. */
  pollMs?: number;
  /**
   * Tries before a row is abandoned (default 8). With the backoff below they span about 20 min:
   * long enough to ride out a provider's hiccup, short enough that an alert is still worth it.
   */
  maxAttempts?: number;
  /** Delay after the first failure, doubled after each (default 10 s, capped at 10 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Keeps other relays off a claimed row (default 2 min; a send times out after 10 s). */
  leaseMs?: number;
}

export interface SmsRelay {
  daemon: Daemon;
  /** One pass: sends due SMS and settles finished notice e-mails; returns how many SMS went out. */
  drainOnce(): Promise<number>;
}

/** Only the provider's status and code reach the database and logs, never a number or body. */
const MAX_ERROR_LENGTH = 300;

/**
 * The daemon sending queued SMS to emergency contacts, in the mail relay's shape (ADR 0010):
 * rows are claimed on a lease and committed before the provider is called, so no transaction
 * is held across HTTP; failures back off exponentially on the service clock; a permanent
 * failure, or the last attempt, abandons the row and, for a notice, makes its contact
 * UNREACHABLE. Each pass also settles notice e-mails the mail relay finished with (an
 * abandoned one makes its contact UNREACHABLE too). Delivery is at least once.
 */
export function createSmsRelay(options: SmsRelayOptions): SmsRelay {
  const { database, sender, clock } = options;
  const logger = options.logger.child({ component: 'sms-relay' });
  const batchSize = options.batchSize ?? 10;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffMs = options.backoffMs ?? 10_000;
  const maxBackoffMs = options.maxBackoffMs ?? 600_000;
  const leaseMs = options.leaseMs ?? 120_000;

  async function deliver(row: ClaimedSms, lease: Date): Promise<boolean> {
    const log = { smsId: row.id, attempt: row.attempts + 1, notice: row.notice_id !== null };
    let sent: { providerId: string } | undefined;
    let err: unknown;
    try {
      sent = await sender.send({ id: row.id, to: row.to, body: row.body });
    } catch (failure) {
      err = failure;
    }
    if (sent) {
      const recorded = await recordSmsSent(database.db, row.id, {
        providerId: sent.providerId,
        at: clock(),
      });
      if (recorded) logger.info(log, 'sms sent');
      else logger.warn(log, 'sms sent by another relay too; it may arrive twice');
      return recorded;
    }
    const attempts = row.attempts + 1;
    const permanent = err instanceof SmsSendError && err.permanent;
    const giveUp = permanent || attempts >= maxAttempts;
    const delay = Math.min(backoffMs * 2 ** (attempts - 1), maxBackoffMs);
    const error = (err instanceof SmsSendError ? err.message : 'send failed').slice(
      0,
      MAX_ERROR_LENGTH,
    );
    const now = clock();
    const recorded = await database.transaction(async (trx) => {
      const ok = await recordSmsFailure(trx, row.id, lease, {
        error,
        retryAt: giveUp ? null : new Date(now.getTime() + delay),
      });
      if (ok && giveUp && row.notice_id) await markNoticeUnreachable(trx, row.notice_id, now);
      return ok;
    });
    if (!(err instanceof SmsSendError)) logger.error({ ...log, err }, 'sms send threw');
    if (!recorded) logger.warn({ ...log, error }, 'late sms failure ignored');
    else if (giveUp) logger.error({ ...log, error }, 'sms abandoned');
    else logger.warn({ ...log, error, retryInMs: delay }, 'sms send failed');
    return false;
  }

  async function settleNoticeMails(): Promise<void> {
    const finished = await finishedNoticeMails(database.db, 100);
    for (const mail of finished) {
      await settleNoticeMail(database.db, mail.contactId, mail.abandoned, clock());
      if (mail.abandoned) logger.warn({ noticeId: mail.noticeId }, 'notice e-mail abandoned');
    }
  }

  async function drainOnce(): Promise<number> {
    let sent = 0;
    for (;;) {
      const now = clock();
      const lease = new Date(now.getTime() + leaseMs);
      const rows = await claimDueSms(database, now, lease, batchSize);
      const results = await Promise.allSettled(rows.map((row) => deliver(row, lease)));
      for (const result of results) {
        if (result.status === 'fulfilled') sent += result.value ? 1 : 0;
        // Recording failed (database down): the lease runs out and the row is tried again.
        else logger.error({ err: result.reason }, 'sms result not recorded');
      }
      if (rows.length < batchSize) break;
    }
    await settleNoticeMails();
    return sent;
  }

  return {
    drainOnce,
    daemon: periodicDaemon({
      name: 'support:sms-relay',
      everyMs: options.pollMs ?? 1000,
      run: async () => {
        await drainOnce();
      },
      onError: (err) => logger.error({ err }, 'sms relay pass failed'),
    }),
  };
}
