import type { DescMethod, DescService, Message } from '@bufbuild/protobuf';
import { createContextKey } from '@connectrpc/connect';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';

/**
 * A response an interceptor has already decided on (an idempotent replay, a cached answer):
 * when set, the unary handler is not run and this message is answered instead. Going through
 * the framework this way keeps the protocol's own response headers and trailers, which an
 * interceptor returning its own response object would replace.
 */
export const presetResponseKey = createContextKey<Message | undefined>(undefined, {
  description: 'preset unary response',
});

/** True on calls served by createKithServer, whose handlers honour `presetResponseKey`. */
export const presetResponseSupportedKey = createContextKey<boolean>(false, {
  description: 'preset responses supported',
});

type UnaryImpl = (req: Message, ctx: HandlerContext) => unknown;

function wrapUnary(impl: UnaryImpl): UnaryImpl {
  return (req, ctx) => ctx.values.get(presetResponseKey) ?? impl(req, ctx);
}

/** A router whose unary implementations answer a preset response when one is set. */
export function withPresetResponses(router: ConnectRouter): ConnectRouter {
  const wrapped: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service: DescService, implementation: Record<string, unknown>, options?: object) {
      const impl: Record<string, unknown> = { ...implementation };
      for (const method of service.methods) {
        const fn = impl[method.localName];
        if (method.methodKind === 'unary' && typeof fn === 'function') {
          impl[method.localName] = wrapUnary(fn.bind(implementation) as UnaryImpl);
        }
      }
      router.service(service, impl as never, options);
      return wrapped;
    },
    rpc(method: DescMethod, impl: unknown, options?: object) {
      router.rpc(
        method,
        (method.methodKind === 'unary' ? wrapUnary(impl as UnaryImpl) : impl) as never,
        options,
      );
      return wrapped;
    },
  } as ConnectRouter;
  return wrapped;
}
