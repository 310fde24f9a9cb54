import type { HandlerContext } from '@connectrpc/connect';
import { clientAddressKey, requestIdKey } from '@kith/context';

/** Who is asking, from where: recorded on sessions and in the audit log. */
export interface RequestMeta {
  ip: string;
  userAgent: string;
  requestId: string;
}

export function requestMeta(ctx: Pick<HandlerContext, 'values' | 'requestHeader'>): RequestMeta {
  return {
    ip: ctx.values.get(clientAddressKey),
    userAgent: (ctx.requestHeader.get('user-agent') ?? '').slice(0, 512),
    requestId: ctx.values.get(requestIdKey),
  };
}
