import type { ServiceImpl } from '@connectrpc/connect';
import type { NotificationService } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { UserAdminService } from '@kith/gen/kith/user/v1/user_admin_pb.js';
import type { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import type { Bus } from '@kith/bus';
import type { Cache } from '@kith/cache';
import type { Database, PageTokenCodec } from '@kith/db';
import type { Logger } from '@kith/logging';
import { serviceEvents } from '@kith/runtime';
import type {
  ConsumerSpec,
  Daemon,
  EventPayload,
  HttpHandler,
  ServiceContext,
} from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { UserDatabase } from './db/schema.js';
import { createNotificationMail } from './notifications/mail.js';
import type { NotificationMail } from './notifications/mail.js';

/** Everything the user handlers use, built once per process (the service's composition root). */
export interface UserApp {
  ctx: ServiceContext<UserDatabase>;
  database: Database<UserDatabase>;
  clock: () => Date;
  logger: Logger;
  cache: Cache;
  bus: Bus;
  pageTokens: PageTokenCodec;
  /** The e-mail channel of notifications; undefined when no mail can be sent (see mail.ts). */
  notificationMail: NotificationMail | undefined;
  /** Records a domain event in the transaction (outbox). */
  emit(trx: Kysely<UserDatabase>, actorId: string | null, payload: EventPayload): Promise<string>;
  /** `emit` for several events in one statement, in order (a fan-out to many recipients). */
  emitMany(
    trx: Kysely<UserDatabase>,
    events: readonly { actorId: string | null; payload: EventPayload }[],
  ): Promise<string[]>;
}

/** What one area of the service (profiles, graph, notifications, push, lifecycle) contributes. */
export interface UserAreaParts {
  user?: Partial<ServiceImpl<typeof UserService>>;
  notification?: Partial<ServiceImpl<typeof NotificationService>>;
  admin?: Partial<ServiceImpl<typeof UserAdminService>>;
  consumers?: ConsumerSpec<UserDatabase>[];
  daemons?: Daemon[];
  http?: Record<string, HttpHandler>;
  close?(): Promise<void>;
}

export function createUserApp(ctx: ServiceContext<UserDatabase>): UserApp {
  if (!ctx.database) throw new Error('user needs its database');
  const app: UserApp = {
    ctx,
    database: ctx.database,
    clock: ctx.clock,
    logger: ctx.logger,
    cache: ctx.cache,
    bus: ctx.bus,
    pageTokens: ctx.pageTokens,
    notificationMail: undefined,
    ...serviceEvents('user', ctx.clock),
  };
  app.notificationMail = createNotificationMail(app);
  return app;
}
