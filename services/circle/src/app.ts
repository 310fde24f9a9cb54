import type { ServiceImpl } from '@connectrpc/connect';
import type { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import type { Database, PageTokenCodec } from '@kith/db';
import type { Logger } from '@kith/logging';
import { serviceEvents } from '@kith/runtime';
import type { ConsumerSpec, Daemon, EventPayload, ServiceContext } from '@kith/runtime';
import { envUrl, loadEnv } from '@kith/config';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { CircleDatabase } from './db/schema.js';

/** Everything the circle handlers use, built once per process (the service's composition root). */
export interface CircleApp {
  ctx: ServiceContext<CircleDatabase>;
  database: Database<CircleDatabase>;
  clock: () => Date;
  logger: Logger;
  pageTokens: PageTokenCodec;
  /** Where invite links point (`<base>/join/<code>`): the app that calls JoinByLink. */
  linkBaseUrl: string;
  /** Records a domain event in the transaction (outbox). */
  emit(trx: Kysely<CircleDatabase>, actorId: string | null, payload: EventPayload): Promise<string>;
}

/** What one area of the service (circles, members, audit, users) contributes. */
export interface CircleAreaParts {
  circle?: Partial<ServiceImpl<typeof CircleService>>;
  consumers?: ConsumerSpec<CircleDatabase>[];
  daemons?: Daemon[];
}

/** The circle service's own settings. */
export const circleEnvSchema = z.object({
  CIRCLE_LINK_BASE_URL: envUrl({ protocols: ['http', 'https'] }).default('http://localhost:3000'),
});

export function createCircleApp(ctx: ServiceContext<CircleDatabase>): CircleApp {
  if (!ctx.database) throw new Error('circle needs its database');
  const env = loadEnv(circleEnvSchema, ctx.env);
  return {
    linkBaseUrl: env.CIRCLE_LINK_BASE_URL.replace(/\/+$/, ''),
    ctx,
    database: ctx.database,
    clock: ctx.clock,
    logger: ctx.logger,
    pageTokens: ctx.pageTokens,
    emit: serviceEvents('circle', ctx.clock).emit,
  };
}
