import { createHmac } from 'node:crypto';
import { fromBinary } from '@bufbuild/protobuf';
import type { DescMessage, Message } from '@bufbuild/protobuf';
import type { Interceptor } from '@connectrpc/connect';
import { clientAddressKey, principalKey, requestLogger } from '@kith/context';
import {
  AbortedError,
  FailedPreconditionError,
  InvalidArgumentError,
  toConnectError,
} from '@kith/errors';
import { presetResponseKey, presetResponseSupportedKey } from '@kith/server';
import type { IdempotencyStore } from './idempotency-store.js';
import type { AnyRequest } from './observe-call.js';
import { rpcName } from './observe-call.js';
import { encodeBinary } from '@kith/wire';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The request's idempotency key: the `idempotency_key` field, else the `Idempotency-Key` header. */
function keyOf(input: DescMessage, message: Message, headers: Headers): string | undefined {
  const field = input.fields.find((f) => f.name === 'idempotency_key' && f.fieldKind === 'scalar');
  const fromField = field ? (Reflect.get(message, field.localName) as unknown) : undefined;
  if (typeof fromField === 'string' && fromField !== '') return fromField;
  return headers.get('idempotency-key') ?? undefined;
}

function scopeOf(req: AnyRequest): string {
  const principal = req.contextValues.get(principalKey);
  const caller = principal
    ? `user:${principal.userId}`
    : `ip:${req.contextValues.get(clientAddressKey)}`;
  return `${caller}|${rpcName(req)}`;
}

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /**
   * The service's own key for request fingerprints (at least 32 bytes). Requests may carry
   * passwords and codes, and a plain hash of one stored for a day is an offline guessing
   * oracle; a keyed MAC is worthless without the key, and one key per service keeps one
   * service's rows from being checked with another's.
   */
  fingerprintKey: Uint8Array;
}

/** HMAC-SHA-256 of the request's binary encoding under the service's fingerprint key. */
function fingerprint(key: Uint8Array, input: DescMessage, message: Message): string {
  return createHmac('sha256', key).update(encodeBinary(input, message)).digest('hex');
}

/**
 * Same key + same request → the first response, replayed without running the handler; same key +
 * different request → FailedPrecondition; a duplicate while the first is running → Aborted.
 * Errors are not stored, so the client may retry with the same key. Unary calls only.
 */
export function createIdempotencyInterceptor({
  store,
  fingerprintKey,
}: IdempotencyOptions): Interceptor {
  if (fingerprintKey.byteLength < 32)
    throw new RangeError('fingerprintKey must be 32 bytes or more');
  return (next) => async (req) => {
    if (req.stream) return next(req);
    const key = keyOf(req.method.input, req.message, req.header);
    if (key === undefined) return next(req);
    if (!KEY_PATTERN.test(key)) {
      throw toConnectError(
        new InvalidArgumentError([
          { field: 'idempotency_key', message: 'must be 1 to 255 printable ASCII characters' },
        ]),
      );
    }
    const scope = scopeOf(req);
    const requestHash = fingerprint(fingerprintKey, req.method.input, req.message);
    const claim = await store.begin(scope, key, requestHash);
    if (claim.state !== 'started') {
      if (claim.requestHash !== requestHash) {
        throw toConnectError(
          new FailedPreconditionError('idempotency key reused with a different request'),
        );
      }
      if (claim.state === 'in_progress')
        throw toConnectError(new AbortedError('request in progress'));
      if (!req.contextValues.get(presetResponseSupportedKey)) {
        // Answering here would run the handler a second time; refuse loudly instead.
        throw new Error('idempotent replay needs a server created by createKithServer');
      }
      req.contextValues.set(presetResponseKey, fromBinary(req.method.output, claim.response));
      const replay = await next(req);
      replay.header.set('idempotent-replayed', 'true');
      return replay;
    }
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (err) {
      // Errors are not stored: free the key so the client can retry it.
      await store
        .release(scope, key)
        .catch((releaseErr: unknown) =>
          requestLogger(req.contextValues)?.error(
            { err: releaseErr },
            'releasing idempotency key failed',
          ),
        );
      throw err;
    }
    if (!res.stream) {
      try {
        await store.complete(scope, key, encodeBinary(req.method.output, res.message));
      } catch (err) {
        // The effect happened: answer it. The claim stays pending, so a duplicate is refused as
        // in progress until the claim is abandoned, rather than silently running twice.
        requestLogger(req.contextValues)?.error({ err }, 'storing idempotent response failed');
      }
    }
    return res;
  };
}
