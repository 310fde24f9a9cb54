import { create, fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import {
  EnvelopeSchema,
  TraceContextSchema,
  type Envelope,
} from '@kith/gen/kith/events/v1/events_pb.js';
import type { AnyKysely } from '@kith/db';
import { uuidv7 } from 'uuidv7';
import { eventSubject, writeOutboxMany } from './outbox/write-outbox.js';
import { currentTraceHeaders } from './trace.js';
import { encodeBinary } from '@kith/wire';

export type EnvelopeInit = MessageInitShape<typeof EnvelopeSchema>;

/** The bus stays bytes; this is the one place the event envelope is encoded. */
export function encodeEvent(envelope: EnvelopeInit): Uint8Array {
  return encodeBinary(EnvelopeSchema, create(EnvelopeSchema, envelope));
}

export function decodeEvent(data: Uint8Array): Envelope {
  return fromBinary(EnvelopeSchema, data);
}

/**
 * Writes an envelope to the outbox in the caller's transaction. One fresh UUIDv7 serves as the
 * envelope id, the outbox id and the message id (any `id` given is replaced); the active trace
 * context goes into the envelope and the headers; `occurredAt` defaults to now.
 */
export async function writeEvent(trx: AnyKysely, envelope: EnvelopeInit): Promise<string> {
  const [id] = await writeEvents(trx, [envelope]);
  return id!;
}

/** `writeEvent` for several envelopes in one statement, in order; their ids in that order. */
export async function writeEvents(
  trx: AnyKysely,
  envelopes: readonly EnvelopeInit[],
): Promise<string[]> {
  const headers = currentTraceHeaders();
  return writeOutboxMany(
    trx,
    envelopes.map((envelope) => {
      const event = create(EnvelopeSchema, envelope);
      if (!event.type) throw new Error('event envelope needs a type');
      event.id = uuidv7();
      event.occurredAt ??= timestampNow();
      if (!event.trace && headers.traceparent) {
        event.trace = create(TraceContextSchema, {
          traceparent: headers.traceparent,
          tracestate: headers.tracestate ?? '',
        });
      }
      return {
        id: event.id,
        subject: eventSubject(event.type),
        data: encodeBinary(EnvelopeSchema, event),
        headers,
      };
    }),
  );
}
