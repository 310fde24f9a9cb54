import { withTables } from '@kith/db';
import type { Database } from '@kith/db';
import { sql, type Kysely } from 'kysely';
import { subjectFilterRegex } from '../subjects.js';
import type { BusMessage, DeliveredMessage } from '../types.js';
import type { LocalBusTables } from './local-schema.js';

type Executor = Kysely<LocalBusTables>;

interface MessageRow {
  seq: string;
  id: string;
  subject: string;
  data: Uint8Array;
  headers: Record<string, string> | string;
  delivery_count: number;
}

/** A delivery claimed by one consumer, with the seq needed to settle it. */
export interface ClaimedDelivery {
  seq: string;
  message: DeliveredMessage;
}

function toDelivered(row: MessageRow): ClaimedDelivery {
  const headers = typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers;
  return {
    seq: String(row.seq),
    message: {
      id: row.id,
      subject: row.subject,
      // pg hands back a Buffer; callers get the same plain Uint8Array on every adapter.
      data: new Uint8Array(row.data),
      headers: headers as Record<string, string>,
      deliveryCount: row.delivery_count,
    },
  };
}

/** SQL of the in-process bus; every function runs on the executor it is given. */
export function createLocalStore<DB>(database: Database<DB>) {
  const t = {
    messages: database.table('messages'),
    state: database.table('consumer_state'),
    deliveries: database.table('deliveries'),
  };
  const lockKey = `kith-bus:${database.schema}`;

  /**
   * `insertMessage` for several messages in one statement: they take consecutive seqs in the
   * given order. Returns how many were stored (the others' dedup keys were already there).
   */
  async function insertMessages(
    trx: Executor,
    msgs: readonly { msg: BusMessage; dedupKey: string }[],
  ): Promise<number> {
    if (msgs.length === 0) return 0;
    await sql`select pg_advisory_xact_lock(hashtext(${lockKey}))`.execute(trx);
    const rows = msgs.map(
      ({ msg, dedupKey }) =>
        sql`(${msg.id}, ${dedupKey}, ${msg.subject}, ${msg.data},
             ${JSON.stringify(msg.headers)}::text::jsonb)`,
    );
    const result = await sql<{ seq: string }>`
      insert into ${t.messages} (id, dedup_key, subject, data, headers)
      values ${sql.join(rows)}
      on conflict (dedup_key) do nothing
      returning seq`.execute(trx);
    return result.rows.length;
  }

  return {
    executor: withTables<LocalBusTables>(database.db),

    /**
     * Seqs are taken and committed under one advisory lock, so commits appear in seq order and
     * a consumer's cursor can never skip past a message that commits later. Call inside a
     * transaction. Returns false when the dedup key was already stored.
     */
    async insertMessage(trx: Executor, msg: BusMessage, dedupKey: string): Promise<boolean> {
      return (await insertMessages(trx, [{ msg, dedupKey }])) > 0;
    },

    insertMessages,

    async registerConsumer(trx: Executor, consumer: string, filter: string): Promise<void> {
      await sql`
        insert into ${t.state} (consumer, filter_subject) values (${consumer}, ${filter})
        on conflict (consumer) do update set filter_subject = excluded.filter_subject,
          updated_at = now()`.execute(trx);
    },

    /**
     * Turns new matching messages into deliveries, then leases up to `limit` due deliveries
     * for `ackWaitMs`. The scan and the cursor's new value come from one statement (one
     * snapshot), so nothing committed in between is skipped.
     */
    async claim(
      trx: Executor,
      consumer: string,
      limit: number,
      ackWaitMs: number,
    ): Promise<ClaimedDelivery[]> {
      const state = await sql<{ cursor: string; filter_subject: string }>`
        select cursor, filter_subject from ${t.state} where consumer = ${consumer}
        for update`.execute(trx);
      const row = state.rows[0];
      if (!row) throw new Error(`consumer ${consumer} is not registered`);
      const scanned = await sql<{ max: string | null }>`
        with scanned as (
          select seq, subject from ${t.messages} where seq > ${row.cursor}
        ), created as (
          insert into ${t.deliveries} (consumer, seq, next_attempt_at)
          select ${consumer}, seq, now() from scanned
          where subject ~ ${subjectFilterRegex(row.filter_subject)}
          on conflict do nothing
        )
        select max(seq)::text as max from scanned`.execute(trx);
      const max = scanned.rows[0]?.max;
      if (max) {
        await sql`update ${t.state} set cursor = ${max}, updated_at = now()
          where consumer = ${consumer}`.execute(trx);
      }
      const claimed = await sql<MessageRow>`
        with due as (
          select seq from ${t.deliveries}
          where consumer = ${consumer} and next_attempt_at <= now()
          order by seq limit ${limit}
          for update skip locked
        )
        update ${t.deliveries} d
        set delivery_count = d.delivery_count + 1,
            next_attempt_at = now() + ${ackWaitMs} * interval '1 millisecond'
        from due join ${t.messages} m on m.seq = due.seq
        where d.consumer = ${consumer} and d.seq = due.seq
        returning d.seq::text as seq, d.delivery_count, m.id::text as id, m.subject, m.data,
          m.headers`.execute(trx);
      return claimed.rows.map(toDelivered).sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
    },

    async ack(trx: Executor, consumer: string, seqs: readonly string[]): Promise<void> {
      if (seqs.length === 0) return;
      await sql`
        delete from ${t.deliveries}
        where consumer = ${consumer} and seq in (${sql.join(seqs)})`.execute(trx);
    },

    async retry(trx: Executor, consumer: string, seq: string, delayMs: number, error: string) {
      await sql`
        update ${t.deliveries}
        set next_attempt_at = now() + ${delayMs} * interval '1 millisecond', last_error = ${error}
        where consumer = ${consumer} and seq = ${seq}`.execute(trx);
    },

    /** Gives back a leased delivery that was never handed to the handler. */
    async release(trx: Executor, consumer: string, seq: string): Promise<void> {
      await sql`
        update ${t.deliveries}
        set next_attempt_at = now(), delivery_count = greatest(delivery_count - 1, 0)
        where consumer = ${consumer} and seq = ${seq}`.execute(trx);
    },

    /** Milliseconds until this consumer's next delivery is due; undefined when none is. */
    async nextDueMs(trx: Executor, consumer: string): Promise<number | undefined> {
      const result = await sql<{ ms: string | number | null }>`
        select extract(epoch from (min(next_attempt_at) - now())) * 1000 as ms
        from ${t.deliveries} where consumer = ${consumer}`.execute(trx);
      const ms = result.rows[0]?.ms;
      return ms === null || ms === undefined ? undefined : Math.max(0, Number(ms));
    },
  };
}

export type LocalStore = ReturnType<typeof createLocalStore>;
