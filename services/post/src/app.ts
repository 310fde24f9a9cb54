import type { Database, PageTokenCodec } from '@kith/db';
import type { Logger } from '@kith/logging';
import { serviceEvents } from '@kith/runtime';
import type { EventPayload, ServiceContext } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { PostDatabase } from './db/schema.js';
import { createMediaRuntime } from './media/runtime.js';
import type { MediaRuntime } from './media/runtime.js';
import { writeQuotas } from './posts/quotas.js';
import type { WriteQuotas } from './posts/quotas.js';

/** Everything the post handlers use, built once per process (the service's composition root). */
export interface PostApp {
  ctx: ServiceContext<PostDatabase>;
  database: Database<PostDatabase>;
  clock: () => Date;
  logger: Logger;
  pageTokens: PageTokenCodec;
  quotas: WriteQuotas;
  /** Media storage and processing slots (media/). */
  media: MediaRuntime;
  /** Records a domain event in the transaction (outbox). */
  emit(trx: Kysely<PostDatabase>, actorId: string | null, payload: EventPayload): Promise<string>;
}

export function createPostApp(ctx: ServiceContext<PostDatabase>): PostApp {
  if (!ctx.database) throw new Error('post needs its database');
  return {
    ctx,
    database: ctx.database,
    clock: ctx.clock,
    logger: ctx.logger,
    pageTokens: ctx.pageTokens,
    quotas: writeQuotas(ctx),
    media: createMediaRuntime(ctx, ctx.logger),
    emit: serviceEvents('post', ctx.clock).emit,
  };
}
