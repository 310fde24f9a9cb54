import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { writeEvents } from '@kith/bus';
import type { EnvelopeSchema, Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import type { AnyKysely } from '@kith/db';

export { decodeEvent } from '@kith/bus';

/** The envelope's current schema version; bump when a payload changes incompatibly. */
export const EVENT_SCHEMA_VERSION = 1;

export type EventPayload = NonNullable<MessageInitShape<typeof EnvelopeSchema>['payload']>;
type PayloadCase = Exclude<Envelope['payload']['case'], undefined>;

/** `authUserRegistered` → `auth.user_registered`: the type is the payload case, domain first. */
export function eventType(payloadCase: PayloadCase): string {
  const snake = payloadCase.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const i = snake.indexOf('_');
  return `${snake.slice(0, i)}.${snake.slice(i + 1)}`;
}

export interface NewEvent {
  /** The emitting service. */
  source: string;
  /** Who caused it: a user id, the service itself, or the system. */
  actor: { userId: string } | { service: string } | { system: true };
  payload: EventPayload;
  occurredAt?: Date;
}

function actorOf(actor: NewEvent['actor']): MessageInitShape<typeof EnvelopeSchema>['actor'] {
  if ('userId' in actor) return { kind: { case: 'userId', value: actor.userId } };
  if ('service' in actor) return { kind: { case: 'service', value: actor.service } };
  return { kind: { case: 'system', value: true } };
}

/**
 * Records a domain event in the caller's transaction (transactional outbox). Returns the event
 * id, which is also the outbox id, the NATS message id and what every consumer's inbox dedups on.
 */
export async function recordEvent(trx: AnyKysely, event: NewEvent): Promise<string> {
  const [id] = await recordEvents(trx, [event]);
  return id!;
}

/** `recordEvent` for several events in one statement, in order; their ids in that order. */
export function recordEvents(trx: AnyKysely, events: readonly NewEvent[]): Promise<string[]> {
  return writeEvents(
    trx,
    events.map((event) => ({
      type: eventType(event.payload.case as PayloadCase),
      occurredAt: event.occurredAt ? timestampFromDate(event.occurredAt) : undefined,
      actor: actorOf(event.actor),
      schemaVersion: EVENT_SCHEMA_VERSION,
      source: event.source,
      payload: event.payload,
    })),
  );
}

/** One event of a service, before its envelope: who caused it (null: the service) and what. */
export interface ServiceEvent {
  actorId: string | null;
  payload: EventPayload;
}

/**
 * A service's `emit` and `emitMany`: its events recorded in the caller's transaction with the
 * service as source, the user who caused each as actor (the service when none), and the
 * service clock's time.
 */
export function serviceEvents(
  source: string,
  clock: () => Date,
): {
  emit(trx: AnyKysely, actorId: string | null, payload: EventPayload): Promise<string>;
  emitMany(trx: AnyKysely, events: readonly ServiceEvent[]): Promise<string[]>;
} {
  const emitMany = (trx: AnyKysely, events: readonly ServiceEvent[]) => {
    const occurredAt = clock();
    return recordEvents(
      trx,
      events.map(({ actorId, payload }) => ({
        source,
        actor: actorId ? { userId: actorId } : { service: source },
        payload,
        occurredAt,
      })),
    );
  };
  return {
    emit: async (trx, actorId, payload) => (await emitMany(trx, [{ actorId, payload }]))[0]!,
    emitMany,
  };
}
