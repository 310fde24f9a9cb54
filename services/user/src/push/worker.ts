import { randomUUID } from 'node:crypto';
import { createPollingLoop, withTables } from '@kith/db';
import type { Trx } from '@kith/db';
import type { Daemon } from '@kith/runtime';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import {
  claimDueDeliveries,
  claimPendingJobs,
  deleteDelivery,
  deleteDevice,
  deliveriesToSend,
  deviceIdsOfUsers,
  insertDeadLetter,
  insertDeliveries,
  leaseDeliveries,
  markJobsFannedOut,
  pruneFannedOutJobs,
  rescheduleDelivery,
} from './push-store.js';
import type { PushStoreDb } from './push-store.js';
import type { PushAdapter, PushMessage, PushTarget, SendResult } from './adapters/types.js';
import { PLATFORM_APNS, PLATFORM_WEB_PUSH } from './adapters/types.js';

const JOB_BATCH = 100;
const DELIVERY_BATCH = 50;
const SEND_CONCURRENCY = 10;
/** A claimed delivery is not due again before this: enough for a send and its timeout. */
const LEASE_MS = 2 * 60_000;
/** Fanned-out jobs are kept this long: ConfirmPushDelivery reads them. */
const JOB_RETENTION_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
/** Providers take about 4 KB of payload: the text is clipped to leave room for the ids. */
const MAX_TITLE = 200;
const MAX_BODY = 1000;

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

export interface PushWorkerOptions {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  pollMs: number;
  /** One adapter per kith.user.v1.PushPlatform number; a platform without one dead-letters. */
  adapters: Partial<Record<number, PushAdapter>>;
  /** [0, 1); the jitter of the backoff (tests pin it). */
  random?: () => number;
}

export interface PushWorker {
  /** One pass: fan out waiting jobs, send due deliveries; how many of either it handled. */
  runOnce(): Promise<number>;
  daemon: Daemon;
  close(): Promise<void>;
}

/**
 * The delay before attempt `attempts + 1`: base · 2^(attempts−1), at most max, with "equal
 * jitter" (half fixed, half random) so a provider outage does not come back as a stampede.
 */
export function backoffMs(
  attempts: number,
  options: { retryBaseMs: number; retryMaxMs: number },
  random: number,
): number {
  const exp = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp / 2 + (exp / 2) * random);
}

/**
 * The delivery worker: takes push_jobs (the notifications area queues them in its
 * transaction), makes one delivery per device of the recipient, and sends the due ones through
 * the platform's adapter. Rows are claimed with FOR UPDATE SKIP LOCKED and leased, so two
 * replicas never send one delivery at once; no transaction is open while a provider answers.
 */
export function createPushWorker(app: UserApp, options: PushWorkerOptions): PushWorker {
  const random = options.random ?? Math.random;
  const logger = app.logger.child({ component: 'push-worker' });
  let lastPrune = 0;
  const db = (trx: Trx<UserDatabase>) => withTables<PushStoreDb>(trx);

  async function fanOut(): Promise<number> {
    return app.database.transaction(async (trx) => {
      const tx = db(trx);
      const jobs = await claimPendingJobs(tx, JOB_BATCH);
      if (jobs.length === 0) return 0;
      const now = app.clock();
      const devices = await deviceIdsOfUsers(tx, [...new Set(jobs.map((j) => j.recipient_id))]);
      const rows = jobs.flatMap((job) =>
        devices
          .filter((device) => device.user_id === job.recipient_id)
          .map((device) => ({
            id: randomUUID(),
            job_id: job.id,
            device_id: device.id,
            next_attempt_at: now,
            created_at: now,
          })),
      );
      await insertDeliveries(tx, rows);
      await markJobsFannedOut(
        tx,
        jobs.map((job) => job.id),
        now,
      );
      return jobs.length;
    });
  }

  async function claim() {
    return app.database.transaction(async (trx) => {
      const tx = db(trx);
      const now = app.clock();
      const ids = await claimDueDeliveries(tx, { now, limit: DELIVERY_BATCH });
      await leaseDeliveries(tx, ids, new Date(now.getTime() + LEASE_MS));
      return deliveriesToSend(tx, ids);
    });
  }

  type Claimed = Awaited<ReturnType<typeof claim>>[number];

  async function sendOne(row: Claimed): Promise<void> {
    const target: PushTarget = {
      deviceId: row.device_id,
      platform: row.platform,
      token: row.token,
      ...(row.platform === PLATFORM_WEB_PUSH && row.web_push_p256dh && row.web_push_auth
        ? { webPush: { p256dh: row.web_push_p256dh, auth: row.web_push_auth } }
        : {}),
      ...(row.platform === PLATFORM_APNS && row.apns_environment && row.app_id
        ? { apns: { environment: row.apns_environment, appId: row.app_id } }
        : {}),
    };
    const message: PushMessage = {
      deliveryId: row.delivery_id,
      notificationId: row.notification_id,
      type: row.notification_type,
      title: clip(row.title, MAX_TITLE),
      body: clip(row.body, MAX_BODY),
      data: row.data,
      critical: row.critical,
      timeSensitive: row.time_sensitive,
      createdAt: row.job_created_at,
    };
    const adapter = options.adapters[row.platform];
    let result: SendResult;
    if (!adapter) {
      result = { kind: 'failed', reason: `no provider configured for platform ${row.platform}` };
    } else {
      try {
        result = await adapter.send(target, message);
      } catch (err) {
        result = { kind: 'retry', reason: `adapter error: ${(err as Error).message}` };
      }
    }
    await record(row, result);
  }

  async function record(row: Claimed, result: SendResult): Promise<void> {
    const log = { deliveryId: row.delivery_id, deviceId: row.device_id, platform: row.platform };
    await app.database.transaction(async (trx) => {
      const tx = db(trx);
      const now = app.clock();
      if (result.kind === 'ok') {
        await deleteDelivery(tx, row.delivery_id);
        return;
      }
      if (result.kind === 'rejected') {
        // The provider says the token is dead: the device goes, with its pending deliveries.
        await deleteDevice(tx, row.device_id);
        logger.info({ ...log, reason: result.reason }, 'push token rejected: device removed');
        return;
      }
      if (result.kind === 'retry' && row.attempts < options.maxAttempts) {
        const delay = Math.max(result.afterMs ?? 0, backoffMs(row.attempts, options, random()));
        await rescheduleDelivery(tx, {
          id: row.delivery_id,
          nextAttemptAt: new Date(now.getTime() + delay),
          lastError: result.reason,
        });
        logger.warn(
          { ...log, attempts: row.attempts, reason: result.reason },
          'push will be retried',
        );
        return;
      }
      await insertDeadLetter(tx, {
        id: row.delivery_id,
        job_id: row.job_id,
        notification_id: row.notification_id,
        recipient_id: row.recipient_id,
        device_id: row.device_id,
        platform: row.platform,
        attempts: row.attempts,
        last_error: result.reason,
        created_at: row.delivery_created_at,
        dead_at: now,
      });
      await deleteDelivery(tx, row.delivery_id);
      logger.error({ ...log, attempts: row.attempts, reason: result.reason }, 'push dead-lettered');
    });
  }

  async function prune(): Promise<void> {
    const now = app.clock().getTime();
    if (now - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = now;
    await app.database.transaction((trx) =>
      pruneFannedOutJobs(db(trx), new Date(now - JOB_RETENTION_MS), 1000),
    );
  }

  async function runOnce(): Promise<number> {
    const fanned = await fanOut();
    const claimed = await claim();
    for (let i = 0; i < claimed.length; i += SEND_CONCURRENCY) {
      await Promise.all(claimed.slice(i, i + SEND_CONCURRENCY).map((row) => sendOne(row)));
    }
    await prune();
    return Math.max(fanned, claimed.length);
  }

  const loop = createPollingLoop({
    batchSize: DELIVERY_BATCH,
    pollMs: options.pollMs,
    onError: (err) => logger.error({ err }, 'push worker pass failed'),
    pass: runOnce,
  });

  return {
    runOnce,
    daemon: { name: 'push-worker', start: () => loop.start(), stop: () => loop.stop() },
    async close() {
      for (const adapter of Object.values(options.adapters)) await adapter?.close?.();
    },
  };
}
