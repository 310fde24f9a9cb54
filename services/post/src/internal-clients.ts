import { ModerationInternalService } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import { internalClient } from '@kith/runtime';
import type { InternalClient } from '@kith/runtime';
import type { PostApp } from './app.js';

/** The other services post asks, each with its own timeout and circuit breaker. */
export interface PostClients {
  /** CheckContent: 200 ms, as moderation's contract asks; the caller fails open. */
  moderation: InternalClient<typeof ModerationInternalService>;
}

export function postClients(app: PostApp): PostClients {
  return {
    moderation: internalClient(app.ctx.bus, ModerationInternalService, { timeoutMs: 200 }),
  };
}
