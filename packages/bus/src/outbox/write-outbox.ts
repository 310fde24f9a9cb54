import { withTables } from '@kith/db';
import type { AnyKysely, Trx } from '@kith/db';
import { uuidv7 } from 'uuidv7';
import { assertMessageId, assertSubject } from '../subjects.js';
import { currentTraceHeaders } from '../trace.js';
import type { OutboxTables } from './outbox-schema.js';

export type OutboxEvent = (
  | { subject: string; type?: never }
  /** Event type such as `post.created`; the subject becomes `kith.events.post.created`. */
  | { type: string; subject?: never }
) & {
  data: Uint8Array;
  headers?: Record<string, string>;
  /** A UUIDv7 chosen by the caller when the payload must carry it (the event envelope). */
  id?: string;
};

/**
 * The `Database.onCommitted` topic of a committed transaction that wrote the outbox; its
 * details are the rows it wrote, in order, which the relay publishes without reading them back.
 */
export const OUTBOX_WRITTEN = 'outbox-written';

/** One outbox row as written and as published. */
export interface OutboxRow {
  id: string;
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
}

export function eventSubject(type: string): string {
  return `kith.events.${type}`;
}

/**
 * Records an event in the caller's transaction, so it is published if and only if the state
 * change commits. The active trace context travels in the headers. Returns the event id
 * (UUIDv7, which is also the message id consumers dedup on). Inside `database.transaction`,
 * the commit hands the rows to the schema's relay at once (`OUTBOX_WRITTEN`); otherwise its
 * poll finds them.
 */
export async function writeOutbox(trx: AnyKysely, event: OutboxEvent): Promise<string> {
  const [id] = await writeOutboxMany(trx, [event]);
  return id!;
}

/**
 * `writeOutbox` for several events in one statement (an event fanned out to many recipients),
 * published in the given order. Returns their ids in that order; none is written for none.
 */
export async function writeOutboxMany(
  trx: AnyKysely,
  events: readonly OutboxEvent[],
): Promise<string[]> {
  if (events.length === 0) return [];
  const trace = currentTraceHeaders();
  const rows = events.map((event): OutboxRow => {
    const subject = event.subject ?? eventSubject(event.type as string);
    assertSubject(subject, false);
    const id = event.id ?? uuidv7();
    assertMessageId(id);
    return { id, subject, data: event.data, headers: { ...trace, ...event.headers } };
  });
  await withTables<OutboxTables>(trx).insertInto('outbox').values(rows).execute();
  if ('notifyOnCommit' in trx && typeof trx.notifyOnCommit === 'function') {
    const notify = (trx as AnyKysely & Pick<Trx<unknown>, 'notifyOnCommit'>).notifyOnCommit;
    for (const row of rows) notify.call(trx, OUTBOX_WRITTEN, row);
  }
  return rows.map((row) => row.id);
}
