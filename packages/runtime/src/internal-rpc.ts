import { create, fromBinary } from '@bufbuild/protobuf';
import type { DescMethod, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { createValidator } from '@bufbuild/protovalidate';
import { Code, ConnectError } from '@connectrpc/connect';
import { BusNoRespondersError, BusTimeoutError } from '@kith/bus';
import type { Bus, Subscription } from '@kith/bus';
import { toConnectError } from '@kith/errors';
import type { Logger } from '@kith/logging';
import type { Daemon } from './module.js';
import { encodeBinary } from '@kith/wire';

/**
 * Internal request/reply between services (ADR 0006): each `<Domain>InternalService` method
 * listens on `kith.internal.<domain>.<Method>` over the bus, never over HTTP. A request is the
 * binary request message; a reply is one tag byte and then either the binary response (0) or a
 * UTF-8 JSON `{code, message}` of a Connect error (1), so callers see the same codes a public
 * RPC would answer.
 */

const OK = 0;
const ERROR = 1;

type UnaryMethod = DescMethod & { methodKind: 'unary' };

/** `kith.post.v1.PostInternalService` → `post`. */
function domainOf(service: DescService): string {
  const match = /^kith\.([a-z]+)\.v\d+\./.exec(service.typeName);
  if (!match) throw new Error(`not a Kith service: ${service.typeName}`);
  return match[1]!;
}

/** The subject an internal method listens on, e.g. `kith.internal.post.AttachMedia`. */
export function internalSubject(service: DescService, method: DescMethod): string {
  return `kith.internal.${domainOf(service)}.${method.name}`;
}

/** What a served internal method does with a valid request. */
export type InternalImpl<S extends DescService> = {
  [K in keyof S['method']]?: S['method'][K] extends { input: infer I; output: infer O }
    ? I extends Parameters<typeof fromBinary>[0]
      ? O extends Parameters<typeof create>[0]
        ? (request: MessageShape<I>) => Promise<MessageInitShape<O>>
        : never
      : never
    : never;
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let validator: ReturnType<typeof createValidator> | undefined;

function errorReply(code: Code, message: string): Uint8Array {
  const body = encoder.encode(JSON.stringify({ code, message }));
  const reply = new Uint8Array(body.length + 1);
  reply[0] = ERROR;
  reply.set(body, 1);
  return reply;
}

/**
 * Serves the implemented methods of an internal service on the bus (one queue group across
 * replicas). Requests are validated with the proto's rules first (InvalidArgument); an error
 * that is not a ConnectError answers Internal and is logged, its message never sent.
 */
export async function serveInternal<S extends DescService>(
  bus: Bus,
  service: S,
  impl: InternalImpl<S>,
  logger: Logger,
): Promise<Subscription[]> {
  validator ??= createValidator();
  const check = validator;
  const subscriptions: Subscription[] = [];
  for (const method of service.methods as readonly DescMethod[]) {
    const handle = (impl as Record<string, ((req: unknown) => Promise<unknown>) | undefined>)[
      method.localName
    ];
    if (!handle || method.methodKind !== 'unary') continue;
    const unary = method as UnaryMethod;
    subscriptions.push(
      await bus.serve(internalSubject(service, method), async (request) => {
        try {
          const input = fromBinary(unary.input, request.data);
          const result = check.validate(unary.input, input);
          if (result.kind !== 'valid') {
            const detail = result.kind === 'invalid' ? result.violations : [result.error];
            return errorReply(
              Code.InvalidArgument,
              `invalid request: ${String(detail.length)} violation(s)`,
            );
          }
          const output = create(unary.output, (await handle(input)) as never);
          const body = encodeBinary(unary.output, output);
          const reply = new Uint8Array(body.length + 1);
          reply[0] = OK;
          reply.set(body, 1);
          return reply;
        } catch (err) {
          // Domain errors (NotFound, …) travel with their code, as a public RPC would answer;
          // anything else is logged and answered Internal.
          const answer = toConnectError(err);
          if (answer.code === Code.Internal && !(err instanceof ConnectError)) {
            logger.error({ err, subject: request.subject }, 'internal request failed');
          }
          return errorReply(answer.code, answer.rawMessage);
        }
      }),
    );
  }
  return subscriptions;
}

/**
 * Serves an internal service (serveInternal) while the service runs: a daemon that subscribes
 * at start and unsubscribes at stop.
 */
export function internalServiceDaemon<S extends DescService>(
  name: string,
  bus: Bus,
  service: S,
  impl: InternalImpl<S>,
  logger: Logger,
): Daemon {
  let subscriptions: Subscription[] = [];
  return {
    name,
    async start() {
      subscriptions = await serveInternal(bus, service, impl, logger);
    },
    async stop() {
      const stopping = subscriptions;
      subscriptions = [];
      await Promise.all(stopping.map((subscription) => subscription.stop()));
    },
  };
}

/** A typed caller of an internal service: one function per unary method. */
export type InternalClient<S extends DescService> = {
  [K in keyof S['method']]: S['method'][K] extends { input: infer I; output: infer O }
    ? I extends Parameters<typeof create>[0]
      ? O extends Parameters<typeof fromBinary>[0]
        ? (request: MessageInitShape<I>) => Promise<MessageShape<O>>
        : never
      : never
    : never;
};

export interface InternalClientOptions {
  /** Per call. Default 2 s. */
  timeoutMs?: number;
  /** Consecutive failures (timeouts, no responders) that open the breaker. Default 5. */
  breakerThreshold?: number;
  /** How long an open breaker answers Unavailable without asking. Default 10 s. */
  breakerCooldownMs?: number;
  now?: () => number;
}

/**
 * Calls an internal service over the bus with a timeout and a circuit breaker. Errors arrive as
 * ConnectErrors: the responder's own code, DeadlineExceeded for a timeout, Unavailable when
 * nobody serves the subject or the breaker is open. A caller that may fail open (moderation's
 * CheckContent) catches Unavailable and DeadlineExceeded.
 */
export function internalClient<S extends DescService>(
  bus: Bus,
  service: S,
  options: InternalClientOptions = {},
): InternalClient<S> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const threshold = options.breakerThreshold ?? 5;
  const cooldownMs = options.breakerCooldownMs ?? 10_000;
  const now = options.now ?? Date.now;
  let failures = 0;
  let openUntil = 0;
  const client: Record<string, (request: unknown) => Promise<unknown>> = {};
  for (const method of service.methods as readonly DescMethod[]) {
    if (method.methodKind !== 'unary') continue;
    const unary = method as UnaryMethod;
    const subject = internalSubject(service, method);
    client[method.localName] = async (request) => {
      if (failures >= threshold && now() < openUntil) {
        throw new ConnectError(`${subject}: circuit open`, Code.Unavailable);
      }
      let reply: Uint8Array;
      try {
        const body = encodeBinary(unary.input, create(unary.input, request as never));
        reply = await bus.request(subject, body, { timeoutMs });
        failures = 0;
      } catch (err) {
        failures += 1;
        if (failures >= threshold) openUntil = now() + cooldownMs;
        if (err instanceof BusTimeoutError) {
          throw new ConnectError(
            `${subject}: timed out`,
            Code.DeadlineExceeded,
            undefined,
            undefined,
            err,
          );
        }
        if (err instanceof BusNoRespondersError) {
          throw new ConnectError(
            `${subject}: no responders`,
            Code.Unavailable,
            undefined,
            undefined,
            err,
          );
        }
        throw new ConnectError(`${subject}: failed`, Code.Unavailable, undefined, undefined, err);
      }
      if (reply[0] === OK) return fromBinary(unary.output, reply.subarray(1));
      const { code, message } = JSON.parse(decoder.decode(reply.subarray(1))) as {
        code: Code;
        message: string;
      };
      throw new ConnectError(message, code);
    };
  }
  return client as InternalClient<S>;
}
