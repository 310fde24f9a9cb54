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
export function mapCallErrors(
  req: AnyRequest,
  next: Next,
  map: (err: unknown) => unknown,
): Promise<AnyResponse> {
  // A then, not an async frame: this runs on every call, and a unary answer passes untouched.
  const failed = (err: unknown): never => {
    throw map(err);
  };
  let answer: Promise<AnyResponse>;
  try {
    answer = next(req);
  } catch (err) {
    // An interceptor that is not an async function may throw before it returns a promise.
    return Promise.reject(err).catch(failed);
  }
  return answer.then((res) => (res.stream ? mapStream(res, map) : res), failed);
}

function mapStream(
  res: AnyResponse & { stream: true },
  map: (err: unknown) => unknown,
): AnyResponse {
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
