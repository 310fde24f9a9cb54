import type { Message } from '@bufbuild/protobuf';
import type { Interceptor } from '@connectrpc/connect';

export type Next = Parameters<Interceptor>[0];
export type AnyRequest = Parameters<Next>[0];
export type AnyResponse = Awaited<ReturnType<Next>>;

/** `pkg.Service/Method`, the name used for public-method lists, rate-limit routes and logs. */
export function rpcName(req: Pick<AnyRequest, 'service' | 'method'>): string {
  let name = rpcNames.get(req.method);
  if (name === undefined) {
    name = `${req.service.typeName}/${req.method.name}`;
    rpcNames.set(req.method, name);
  }
  return name;
}
// Made once per method: several interceptors ask on every call.
const rpcNames = new WeakMap<AnyRequest['method'], string>();

// The server's metrics interceptor and these interceptors observe calls the same way.
export { observeCall, outcomeOf } from '@kith/server';

/** Applies `map` to errors of a call, including those raised while streaming the response. */
export async function mapCallErrors(
  req: AnyRequest,
  next: Next,
  map: (err: unknown) => unknown,
): Promise<AnyResponse> {
  let res: AnyResponse;
  try {
    res = await next(req);
  } catch (err) {
    throw map(err);
  }
  if (!res.stream) return res;
  const source = res.message;
  async function* mapped(): AsyncGenerator<Message> {
    try {
      yield* source;
    } catch (err) {
      throw map(err);
    }
  }
  return { ...res, message: mapped() };
}
