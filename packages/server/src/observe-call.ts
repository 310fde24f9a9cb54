import type { Message } from '@bufbuild/protobuf';
import { ConnectError } from '@connectrpc/connect';
import type { Interceptor } from '@connectrpc/connect';
import { codeToString } from '@connectrpc/connect/protocol-connect';

type Next = Parameters<Interceptor>[0];
type Req = Parameters<Next>[0];
type Res = Awaited<ReturnType<Next>>;

/** 'ok' or the Connect code name (`not_found`, `resource_exhausted`, …). */
export function outcomeOf(err: unknown): string {
  return err === undefined ? 'ok' : codeToString(ConnectError.from(err).code);
}

/**
 * Runs the rest of the chain and calls `done` exactly once when the call is over: when a unary
 * call returns or throws, or when a streaming response has been fully sent (or failed).
 */
export async function observeCall(
  req: Req,
  next: Next,
  done: (err: unknown) => void,
): Promise<Res> {
  let res: Res;
  try {
    res = await next(req);
  } catch (err) {
    done(err);
    throw err;
  }
  if (!res.stream) {
    done(undefined);
    return res;
  }
  const source = res.message;
  async function* watched(): AsyncGenerator<Message> {
    let failure: unknown;
    try {
      yield* source;
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      done(failure);
    }
  }
  return { ...res, message: watched() };
}
