import type { HandlerContext } from '@connectrpc/connect';
import type { Principal, Role } from '@kith/context';
import { clientAddressKey, principalKey, requestIdKey } from '@kith/context';
import { requirePrincipal, requireRole } from '@kith/interceptors';

/** Who is asking, from where: recorded on sessions and in audit logs. */
export interface RequestMeta {
  ip: string;
  userAgent: string;
  requestId: string;
}

/**
 * Who is asking, from where, and the time the request is judged at: what a handler reads on
 * its first line and hands to its use case, instead of the Connect context or the request.
 */
export interface Caller {
  /** Undefined for an anonymous caller of a public method. */
  principal: Principal | undefined;
  meta: RequestMeta;
  now: Date;
}

/** A caller whose credentials were verified (and, for staff methods, whose role was). */
export interface SignedInCaller extends Caller {
  principal: Principal;
}

type RequestContext = Pick<HandlerContext, 'values' | 'requestHeader'>;
type Clocked = { clock(): Date };

export function requestMeta(ctx: RequestContext): RequestMeta {
  return {
    ip: ctx.values.get(clientAddressKey),
    userAgent: (ctx.requestHeader.get('user-agent') ?? '').slice(0, 512),
    requestId: ctx.values.get(requestIdKey),
  };
}

/** Anyone: the principal when credentials came along. */
export function callerOf(app: Clocked, ctx: RequestContext): Caller {
  return { principal: ctx.values.get(principalKey), meta: requestMeta(ctx), now: app.clock() };
}

/** A signed-in caller; Unauthenticated otherwise. */
export function signedInCaller(app: Clocked, ctx: RequestContext): SignedInCaller {
  return { principal: requirePrincipal(ctx), meta: requestMeta(ctx), now: app.clock() };
}

/** A caller holding at least `role`; PermissionDenied (or Unauthenticated) otherwise. */
export function staffCaller(app: Clocked, ctx: RequestContext, role: Role): SignedInCaller {
  return { principal: requireRole(ctx, role), meta: requestMeta(ctx), now: app.clock() };
}
