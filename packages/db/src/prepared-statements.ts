import type pg from 'pg';
import { BeginFirst } from './begin-first.js';

/**
 * Named (prepared) statements per pooled connection, so Postgres parses and plans a statement
 * the code sends again and again once per connection rather than on every call (ADR 0024).
 *
 * Kysely hands node-pg the SQL text and its parameters. A text with parameters seen a second
 * time on a connection is sent as a named statement from then on. Each connection keeps at most
 * `max` of them, least recently used first out (deallocated on the server), so statements whose
 * text varies (an `in` list of each length) cannot grow the server's memory without bound.
 *
 * A migration that changes a table while a replica runs can make a prepared `select *` answer
 * "cached plan must not change result type". The connection then forgets every statement it
 * prepared: outside a transaction the call is retried once; inside one the error stands (the
 * transaction is already aborted, as it would be for any failed statement).
 *
 * It also holds back each transaction's `begin` and sends it with the transaction's first
 * statement, in one write (`BeginFirst`, ADR 0032): a round trip fewer for every transaction.
 * A transaction that runs no statement sends nothing at all.
 */
export interface PreparedStatementOptions {
  /** Named statements kept per connection; 0 turns preparing off (`begin` is still held). */
  max: number;
}

function isStaleResultType(err: unknown): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown };
  return (
    code === '0A000' &&
    typeof message === 'string' &&
    message.includes('cached plan must not change result type')
  );
}
const failedTransaction = '25P02';

type QueryFn = (...args: unknown[]) => unknown;

/** Makes every connection `pool` opens from now on prepare its repeated statements. */
export function prepareRepeatedStatements(pool: pg.Pool, options: PreparedStatementOptions): void {
  pool.on('connect', (client) => prepareOn(client, Math.max(0, options.max)));
}

function prepareOn(client: pg.PoolClient, max: number): void {
  const query = client.query.bind(client) as QueryFn;
  // node-pg's record of the statements this connection has parsed or is parsing.
  const connection = (
    client as unknown as {
      connection: {
        parsedStatements: Record<string, string>;
        submittedNamedStatements: Record<string, string>;
      };
    }
  ).connection;
  /** SQL text -> statement name, least recently used first. */
  const names = new Map<string, string>();
  /** Texts seen once: a text is prepared the second time it comes. */
  const seen = new Set<string>();
  /** Names to deallocate on the server once the connection is not in a failed transaction. */
  const stale: string[] = [];
  let next = 0;

  const forget = (name: string) => {
    const known =
      connection.parsedStatements[name] !== undefined ||
      connection.submittedNamedStatements[name] !== undefined;
    delete connection.parsedStatements[name];
    if (known) stale.push(name);
  };

  const deallocateStale = () => {
    if (!stale.length || client.getTransactionStatus() === 'E') return;
    for (const name of stale.splice(0)) {
      // Queued behind what is in flight. Names are never reused, so a statement left on the
      // server only costs memory until it is deallocated or the connection closes.
      (query(`DEALLOCATE ${name}`) as Promise<unknown>).catch((err: unknown) => {
        if ((err as { code?: unknown }).code === failedTransaction) stale.push(name);
      });
    }
  };

  const nameFor = (text: string): string | undefined => {
    if (max === 0) return undefined;
    const name = names.get(text);
    if (name !== undefined) {
      names.delete(text);
      names.set(text, name);
      return name;
    }
    if (!seen.has(text)) {
      if (seen.size >= max * 4) seen.clear();
      seen.add(text);
      return undefined;
    }
    seen.delete(text);
    if (names.size >= max) {
      const [oldest, oldestName] = names.entries().next().value as [string, string];
      names.delete(oldest);
      forget(oldestName);
    }
    const created = `kith_${++next}`;
    names.set(text, created);
    return created;
  };

  /** A `begin` asked for and not sent yet: it goes with the transaction's first statement. */
  let beginHeld = false;
  const answered = (command: string) =>
    Promise.resolve({ command, rowCount: null, oid: 0, rows: [], fields: [] });
  const beginFirst = (config: { text: string; values: unknown[]; name?: string }) =>
    new Promise<unknown>((resolve, reject) => {
      query(new BeginFirst(config, (err, result) => (err ? reject(err) : resolve(result))));
    });

  client.query = ((...args: unknown[]): unknown => {
    deallocateStale();
    const [text, values] = args;
    // Only the promise form with parameters (Kysely's); cursors, callbacks and statements
    // without parameters (begin, commit) go through as they are.
    const plain = args.length === 2 && typeof text === 'string' && Array.isArray(values);
    if (plain && !values.length) {
      const command = text.trim().toLowerCase();
      if (command === 'begin' && !beginHeld && client.getTransactionStatus() === 'I') {
        beginHeld = true;
        return answered('BEGIN');
      }
      if (beginHeld && (command === 'commit' || command === 'rollback')) {
        beginHeld = false; // nothing was sent, so nothing is open
        return answered(command.toUpperCase());
      }
    }
    const held = beginHeld;
    beginHeld = false;
    if (held && (!plain || !values.length)) {
      // Not a form BeginFirst takes (a cursor, a callback; a text without parameters, which
      // the simple protocol may hold several statements in): `begin` goes on its own first.
      void (query('begin') as Promise<unknown>).catch(() => {});
      return query(...args);
    }
    if (!plain || !values.length) return query(...args);
    let name = nameFor(text);
    // A statement parsed with `begin`'s ParseComplete ahead of its own would be recorded as
    // parsed even if its own Parse failed: a new name goes unnamed this once.
    if (held && name !== undefined && connection.parsedStatements[name] === undefined) {
      name = undefined;
    }
    const send = (): Promise<unknown> =>
      held
        ? beginFirst(name === undefined ? { text, values } : { name, text, values })
        : ((name === undefined
            ? query(text, values)
            : query({ name, text, values })) as Promise<unknown>);
    if (name === undefined) return send();
    return send().catch((err: unknown) => {
      if (!isStaleResultType(err)) throw err;
      for (const known of names.values()) forget(known);
      names.clear();
      // Inside a transaction the error stands. A first statement (sent with `begin`) is inside
      // one though the status may not say so yet: its failure can be read before the
      // ReadyForQuery that reports the aborted transaction.
      if (held || client.getTransactionStatus() !== 'I') throw err;
      deallocateStale();
      return query(text, values);
    });
  }) as typeof client.query;
}
