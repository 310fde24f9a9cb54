import type { DescMethod, DescMethodUnary, DescService } from '@bufbuild/protobuf';
import { MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import type { ConnectRouter, HandlerContext, Interceptor } from '@connectrpc/connect';

/** What a unary handler is called with; the return value is normalized with `create`. */
export type UnaryImpl = (req: unknown, ctx: HandlerContext) => unknown;

/** A unary method as the fast path serves it: the same implementation the router was given. */
export interface FastRoute {
  method: DescMethodUnary;
  impl: UnaryImpl;
  /** Per-service interceptors (they replace the adapter's, as in connect-es); else undefined. */
  interceptors: Interceptor[] | undefined;
  /** Connect GET is allowed (the method is marked NO_SIDE_EFFECTS). */
  get: boolean;
}

/**
 * Registration options the fast path can honour. Anything else a service is registered with
 * (its own read limits, JSON options, protocols) keeps the service on the stock handler.
 */
function supported(options: object | undefined): options is { interceptors?: Interceptor[] } {
  return options === undefined || Object.keys(options).every((k) => k === 'interceptors');
}

function route(method: DescMethod, impl: UnaryImpl, options: object | undefined): FastRoute {
  return {
    method: method as DescMethodUnary,
    impl,
    interceptors: (options as { interceptors?: Interceptor[] } | undefined)?.interceptors,
    get: method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS,
  };
}

/**
 * A router that records every unary method it is given (keyed by its request path) and hands
 * everything on to `router`, so the stock handler still serves the same routes.
 */
export function recordingRouter(
  router: ConnectRouter,
  routes: Map<string, FastRoute>,
): ConnectRouter {
  const recording: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service: DescService, implementation: Record<string, unknown>, options?: object) {
      router.service(service, implementation as never, options);
      if (!supported(options)) return recording;
      for (const method of service.methods) {
        if (method.methodKind !== 'unary') continue;
        const fn = implementation[method.localName];
        // As connect-es's createServiceImplSpec: bound to the object, or an Unimplemented stub.
        const impl: UnaryImpl =
          typeof fn === 'function'
            ? (fn.bind(implementation) as UnaryImpl)
            : () => {
                throw new ConnectError(
                  `${service.typeName}.${method.name} is not implemented`,
                  Code.Unimplemented,
                );
              };
        routes.set(`/${service.typeName}/${method.name}`, route(method, impl, options));
      }
      return recording;
    },
    rpc(method: DescMethod, impl: unknown, options?: object) {
      router.rpc(method as never, impl as never, options);
      if (method.methodKind === 'unary' && supported(options)) {
        routes.set(
          `/${method.parent.typeName}/${method.name}`,
          route(method, impl as UnaryImpl, options),
        );
      }
      return recording;
    },
  } as ConnectRouter;
  return recording;
}
