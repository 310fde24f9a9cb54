import type { Database, PageTokenCodec } from '@kith/db';
import type { Logger } from '@kith/logging';
import { CircleInternalService } from '@kith/gen/kith/circle/v1/internal_pb.js';
import { ModerationInternalService } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import { PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import { internalClient, serviceEvents } from '@kith/runtime';
import type { EventPayload, InternalClient, ServiceContext } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { SupportDatabase } from './db/schema.js';

/** The other services support asks, each with its own timeout and circuit breaker. */
export interface SupportClients {
  /** Memberships when the projection does not hold them yet. */
  circle: InternalClient<typeof CircleInternalService>;
  /** CheckContent of help requests: 200 ms, as moderation's contract asks; fails open. */
  moderation: InternalClient<typeof ModerationInternalService>;
  /** Holds on media attached to incident notes. */
  post: InternalClient<typeof PostInternalService>;
}

/** Everything the support handlers use, built once per process (the service's composition root). */
export interface SupportApp {
  ctx: ServiceContext<SupportDatabase>;
  database: Database<SupportDatabase>;
  clock: () => Date;
  logger: Logger;
  pageTokens: PageTokenCodec;
  clients: SupportClients;
  /** Records a domain event in the transaction (outbox); `actorId` null: support itself. */
  emit(
    trx: Kysely<SupportDatabase>,
    actorId: string | null,
    payload: EventPayload,
  ): Promise<string>;
  /** `emit` for several events in one statement, in order. */
  emitMany(
    trx: Kysely<SupportDatabase>,
    events: readonly { actorId: string | null; payload: EventPayload }[],
  ): Promise<string[]>;
}

export function createSupportApp(
  ctx: ServiceContext<SupportDatabase>,
  overrides: { clients?: SupportClients } = {},
): SupportApp {
  if (!ctx.database) throw new Error('support needs its database');
  return {
    ctx,
    database: ctx.database,
    clock: ctx.clock,
    logger: ctx.logger,
    pageTokens: ctx.pageTokens,
    clients: overrides.clients ?? {
      circle: internalClient(ctx.bus, CircleInternalService, { timeoutMs: 1000 }),
      moderation: internalClient(ctx.bus, ModerationInternalService, { timeoutMs: 200 }),
      post: internalClient(ctx.bus, PostInternalService, { timeoutMs: 2000 }),
    },
    ...serviceEvents('support', ctx.clock),
  };
}
