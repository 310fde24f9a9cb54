import { ModerationInternalService } from '@kith/gen/kith/moderation/v1/internal_pb.js';
import { PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import { internalClient } from '@kith/runtime';
import type { InternalClient } from '@kith/runtime';
import type { UserApp } from '../app.js';

/** The other services profiles ask, each with its own timeout and circuit breaker. */
export interface ProfileClients {
  /** CheckContent: 200 ms, as moderation's contract asks; the caller fails open. */
  moderation: InternalClient<typeof ModerationInternalService>;
  /** AttachMedia and DetachMedia for avatars. */
  post: InternalClient<typeof PostInternalService>;
}

export function profileClients(app: UserApp): ProfileClients {
  return {
    moderation: internalClient(app.bus, ModerationInternalService, { timeoutMs: 200 }),
    post: internalClient(app.bus, PostInternalService, { timeoutMs: 2000 }),
  };
}
