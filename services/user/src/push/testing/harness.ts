// Test support for the push area: the user service (with auth, which issues the tokens) in an
// embedded process, the user app it was built from, and reads of what the push tables hold.
import { createClient } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import { NotificationService } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { Transport } from '@connectrpc/connect';
import { defineService } from '@kith/runtime';
import type { ServiceModule } from '@kith/runtime';
import { withTables } from '@kith/db';
import type { UserApp } from '../../app.js';
import type { UserDatabase } from '../../db/schema.js';
import { createUserParts, userModule } from '../../module.js';
import { enqueuePushes } from '../push-job-store.js';
import type { PushJobsDb } from '../push-job-store.js';
import type { PushStoreDb } from '../push-store.js';

/** What the push tests need of auth's harness (which issues the tokens); tests pass it in. */
interface HostHarness {
  as(token: string): { transport: Transport };
  stop(): Promise<void>;
}
type StartHost<H extends HostHarness> = (options: {
  modules: ServiceModule[];
  env: Record<string, string>;
}) => Promise<H>;

export interface PushHarness<H extends HostHarness = HostHarness> {
  h: H;
  app: UserApp;
  notifications(token: string): Client<typeof NotificationService>;
  db(): ReturnType<typeof withTables<PushStoreDb>>;
  stop(): Promise<void>;
}

/** Auth and user in one process; the push worker daemon is off unless `env` turns it on. */
export async function startPushHarness<H extends HostHarness>(
  startHost: StartHost<H>,
  env: Record<string, string> = {},
): Promise<PushHarness<H>> {
  let app: UserApp | undefined;
  const module = defineService<UserDatabase>({
    ...userModule,
    create(ctx) {
      const parts = createUserParts(ctx);
      app = parts.app;
      return parts;
    },
  });
  const h = await startHost({
    modules: [module],
    env: { PUSH_WORKER_ENABLED: 'false', ...env },
  });
  if (!app) throw new Error('user app was not built');
  const built = app;
  return {
    h,
    app: built,
    notifications: (token) => createClient(NotificationService, h.as(token).transport),
    db: () => withTables<PushStoreDb>(built.database.db),
    stop: () => h.stop(),
  };
}

let counter = 0;
/** A UUID v4-shaped id unique in the run (tests name notifications and jobs with it). */
export function testId(): string {
  counter += 1;
  const hex = `${Date.now().toString(16)}${counter.toString(16).padStart(6, '0')}`.padStart(
    32,
    '0',
  );
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Queues a push as the notifications area does (in a transaction of its own). */
export async function queuePush(
  app: UserApp,
  job: {
    recipientId: string;
    type?: number;
    title?: string;
    body?: string;
    data?: Record<string, string>;
    critical?: boolean;
    timeSensitive?: boolean;
    notificationId?: string;
  },
): Promise<{ jobId: string; notificationId: string }> {
  const jobId = testId();
  const notificationId = job.notificationId ?? testId();
  await app.database.transaction((trx) =>
    enqueuePushes(withTables<PushJobsDb>(trx), [
      {
        id: jobId,
        notification_id: notificationId,
        recipient_id: job.recipientId,
        notification_type: job.type ?? 1,
        title: job.title ?? 'Ana followed you',
        body: job.body ?? '@ana is now following you',
        data: job.data ?? { user_id: job.recipientId },
        critical: job.critical ?? false,
        time_sensitive: job.timeSensitive ?? false,
        created_at: app.clock(),
      },
    ]),
  );
  return { jobId, notificationId };
}
